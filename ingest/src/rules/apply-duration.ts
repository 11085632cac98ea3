/**
 * The `forSec` step shared by every in-stream rule: a level fires once it has held for
 * `forSec` (device time). `raw` is the level the reading alone suggests; levels at or below it
 * keep their start time, higher ones lose it. Mutates `state.since`; returns the level that fires.
 */
import { warningLevelRank } from '@shanshui/models';
import type { WarningLevel } from '@shanshui/models';
import type { RuleState } from './rule-state.ts';

export function applyDuration(state: RuleState, possible: readonly WarningLevel[], raw: WarningLevel | null, ts: number, forSec: number): WarningLevel | null {
  let fired: WarningLevel | null = null;
  const rawRank = warningLevelRank(raw);
  for (const level of possible) {
    if (warningLevelRank(level) <= rawRank) {
      const since = (state.since[level] ??= ts);
      if (ts - since >= forSec * 1000) fired = level;
    } else if (state.since[level] !== undefined) {
      delete state.since[level];
    }
  }
  return fired;
}
