/** Robust statistics for the data-quality and anomaly steps. */

/** 1/Φ⁻¹(3/4): MAD × this estimates the standard deviation of normal data. */
export const MAD_TO_SIGMA = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from `center` (the median when not given). */
export function medianAbsoluteDeviation(values: readonly number[], center: number = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)));
}
