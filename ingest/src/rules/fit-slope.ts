/** Least-squares slope of (ts ms, value) samples, per second; undefined for fewer than 2 distinct times. */
export function fitSlopePerSec(samples: ReadonlyArray<readonly [number, number]>): number | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  // Centre the times first: epoch milliseconds squared lose precision.
  let tMean = 0;
  let vMean = 0;
  for (const [t, v] of samples) {
    tMean += t / n;
    vMean += v / n;
  }
  let sxx = 0;
  let sxy = 0;
  for (const [t, v] of samples) {
    const dt = (t - tMean) / 1000;
    sxx += dt * dt;
    sxy += dt * (v - vMean);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}
