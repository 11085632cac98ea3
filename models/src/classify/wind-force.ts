/**
 * Wind force (Beaufort number) from wind speed. Stations report m/s, while fire-danger scoring
 * tables (docs/standards/forest-fire.md §6) score the wind force. Speeds follow the Chinese wind scale
 * GB/T 28591-2012, which extends Beaufort to force 17; this table is not in the reference file.
 */

import { ClassifyError, requireFinite } from './classify-error.ts';

/**
 * Lowest speed (m/s) of forces 1…17; force 0 is 0.0–0.2. Published ranges are given to 0.1 m/s
 * (force 1 = 0.3–1.5), so a reading between two ranges (1.55) belongs to the lower force.
 */
export const WIND_FORCE_MIN_SPEED_MPS: readonly number[] = [
  0.3, 1.6, 3.4, 5.5, 8.0, 10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7, 37.0, 41.5, 46.2, 51.0, 56.1,
];

/** Wind force 0–17 of a speed in m/s; speeds of 56.1 m/s and above are force 17 (17级及以上). */
export function windForceFromSpeed(speedMps: number): number {
  requireFinite('wind speed', speedMps);
  if (speedMps < 0) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `wind speed must be ≥ 0, got ${speedMps}`);
  let force = 0;
  while (force < WIND_FORCE_MIN_SPEED_MPS.length && speedMps >= WIND_FORCE_MIN_SPEED_MPS[force]!) force++;
  return force;
}
