/**
 * A robust baseline with exponential forgetting, per season bucket: location ≈ median and
 * scale ≈ MAD. A bucket's first WARMUP_BUFFER samples are kept and its baseline is their exact
 * median and MAD; after that the buffer goes (O(1) memory per bucket) and each sample's pull
 * is Huber-clipped at HUBER_C robust standard deviations, so an outlier moves the baseline by
 * at most α · HUBER_C · σ, with α = max(1/n, 1 − 2^(−1/halfLifeSamples)) forgetting old samples.
 */
import type { AnomalyBaseline } from './rule-state.ts';
import { MAD_TO_SIGMA, median, medianAbsoluteDeviation } from './robust-stats.ts';

/** Samples a bucket keeps while it warms up (bounds the state: 24 × this numbers at most). */
export const WARMUP_BUFFER = 32;

/** Clip of a sample's standardised residual in the update (Huber's usual 1.345–2). */
export const HUBER_C = 2;

export interface BaselineOptions {
  readonly buckets: number;
  readonly halfLifeSamples: number;
  readonly minSamples: number;
  /** Floor of the MAD, metric units. */
  readonly minMad: number;
}

export function emptyBaseline(buckets: number): AnomalyBaseline {
  return {
    med: new Array<number>(buckets).fill(0),
    mad: new Array<number>(buckets).fill(0),
    n: new Array<number>(buckets).fill(0),
    buf: Array.from({ length: buckets }, () => []),
  };
}

/** Robust z of `x` against bucket `b`, signed; undefined while the bucket warms up. */
export function robustScore(b: AnomalyBaseline, bucket: number, x: number, o: BaselineOptions): number | undefined {
  if ((b.n[bucket] ?? 0) < o.minSamples) return undefined;
  const sigma = MAD_TO_SIGMA * Math.max(b.mad[bucket]!, o.minMad, Number.EPSILON);
  return (x - b.med[bucket]!) / sigma;
}

export function updateBaseline(b: AnomalyBaseline, bucket: number, x: number, o: BaselineOptions): void {
  const n = (b.n[bucket] ?? 0) + 1;
  // The count only gates warm-up: capped, so a long-lived bucket's state stays small.
  b.n[bucket] = Math.min(n, o.minSamples * 100);
  const med = b.med[bucket]!;
  const mad = b.mad[bucket]!;
  const buf = (b.buf ??= [])[bucket] ?? (b.buf[bucket] = []);
  if (n <= WARMUP_BUFFER) {
    buf.push(x);
    b.med[bucket] = median(buf);
    b.mad[bucket] = medianAbsoluteDeviation(buf, b.med[bucket]);
    if (n === WARMUP_BUFFER) buf.length = 0;
    return;
  }
  buf.length = 0;
  const alpha = Math.max(1 / n, 1 - 2 ** (-1 / o.halfLifeSamples));
  const sigma = MAD_TO_SIGMA * Math.max(mad, o.minMad, Number.EPSILON);
  const r = Math.max(-HUBER_C, Math.min(HUBER_C, (x - med) / sigma));
  b.med[bucket] = med + alpha * r * sigma;
  // E|x − median| = MAD for symmetric data; the clipped deviation keeps outliers from inflating it.
  b.mad[bucket] = mad + alpha * (Math.min(Math.abs(x - med), HUBER_C * sigma) - mad);
}

/** Season bucket of a device timestamp: the local hour of day (0–23), or 0 without seasonality. */
export function seasonBucket(ts: number, seasonality: 'hour_of_day' | 'none', utcOffsetMin: number): number {
  if (seasonality === 'none') return 0;
  return new Date(ts + utcOffsetMin * 60_000).getUTCHours();
}
