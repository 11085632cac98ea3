/** What the engine remembers per (station, rule) between readings; persisted so it survives a restart. */
import type { WarningLevel } from '@shanshui/models';

export interface RuleState {
  /** Level the rule currently raises for the station (null = none). */
  active: WarningLevel | null;
  /** Device timestamp since which each level has held continuously (for `forSec`). */
  since: Partial<Record<WarningLevel, number>>;
  /** Device timestamp of the newest evaluated reading; older ones are skipped. */
  lastTs: number;
  /** Last trustworthy value evaluated. */
  lastValue?: number;
  /** rate_of_change: recent (ts, value) samples inside the window. */
  samples?: Array<[number, number]>;
  /** stale: platform time the station was last heard from. */
  lastSeenMs?: number;
}

export function emptyRuleState(): RuleState {
  return { active: null, since: {}, lastTs: -Infinity };
}
