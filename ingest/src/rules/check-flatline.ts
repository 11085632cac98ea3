/**
 * Flatline check (stuck sensor): the same value (± epsilon of the run's first value) for at
 * least `minDurationSec` of device time and `minCount` readings. Updates the run in `state`;
 * true once the run is long enough — every later value of the run is flagged too.
 */
import type { QualityState } from './rule-state.ts';

export interface FlatlineOptions {
  readonly minDurationSec: number;
  readonly minCount: number;
  readonly epsilon: number;
}

export function checkFlatline(state: QualityState, value: number, ts: number, o: FlatlineOptions): boolean {
  if (state.runValue !== undefined && state.runSinceTs !== undefined && Math.abs(value - state.runValue) <= o.epsilon) {
    state.runCount = (state.runCount ?? 1) + 1;
  } else {
    state.runValue = value;
    state.runSinceTs = ts;
    state.runCount = 1;
  }
  return state.runCount >= o.minCount && ts - state.runSinceTs >= o.minDurationSec * 1000;
}
