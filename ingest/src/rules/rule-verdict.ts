/** What one evaluator makes of one reading for one rule. */
import type { WarningLevel } from '@shanshui/models';

export interface RuleVerdict {
  /** Level this reading alone suggests (before the `forSec` step); null = none. */
  readonly raw: WarningLevel | null;
  /** The value the verdict is about (the metric, the change, the AQI, the silence in seconds …). */
  readonly value: number;
  /** Chinese text of the condition at `level`, without the station name, e.g. 'PM2.5 超过 75 μg/m³'. */
  describe(level: WarningLevel): string;
}
