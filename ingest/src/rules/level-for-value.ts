/**
 * The highest warning level whose threshold `value` crosses, with hysteresis: a level at or
 * below the currently `active` one holds until the value is `clearDelta` back past its threshold.
 */
import { WARNING_LEVELS, warningLevelRank } from '@shanshui/models';
import type { WarningLevel } from '@shanshui/models';

export function levelForValue(
  levels: Partial<Record<WarningLevel, number>>,
  op: 'above' | 'below',
  value: number,
  active: WarningLevel | null,
  clearDelta: number,
): WarningLevel | null {
  let found: WarningLevel | null = null;
  for (const level of WARNING_LEVELS) {
    const limit = levels[level];
    if (limit === undefined) continue;
    const held = warningLevelRank(level) <= warningLevelRank(active);
    const margin = held ? clearDelta : 0;
    const crossed = op === 'above' ? value > limit - margin : value < limit + margin;
    if (crossed) found = level;
  }
  return found;
}
