/**
 * Spike check (a Hampel filter): a value is a spike when it lies more than
 * max(k · 1.4826 · MAD, minJump) from the median of the recent values. The recent values
 * include earlier spikes, so a genuine step change stops counting as spikes once it holds for
 * half the window.
 */
import { MAD_TO_SIGMA } from './robust-stats.ts';

export interface SpikeOptions {
  readonly k: number;
  readonly minJump: number;
  readonly minSamples: number;
}

export function isSpike(recent: readonly number[], value: number, o: SpikeOptions): boolean {
  if (recent.length < o.minSamples) return false;
  // median/medianAbsoluteDeviation of robust-stats.ts by selection in a typed scratch array
  // (O(n), no sorting, no allocation): this runs on every reading of a checked metric. The
  // order statistics are the same values a sort finds (-0 and 0 aside, which change neither
  // |value − m| nor the MAD).
  const n = recent.length;
  // The median lies between the window's extremes, so when the value is within minJump of both
  // it is within minJump of the median: no spike, decided without the selections below (the
  // common case — most values stay near the recent ones).
  let lo = recent[0]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const x = recent[i]!;
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  if (Math.abs(value - lo) <= o.minJump && Math.abs(value - hi) <= o.minJump) return false;
  if (scratch.length < n) scratch = new Float64Array(n * 2);
  const s = scratch;
  for (let i = 0; i < n; i++) s[i] = recent[i]!;
  const m = medianInPlace(s, n);
  // The bound is never below minJump: a value that close to the median is no spike, whatever the MAD.
  if (Math.abs(value - m) <= o.minJump) return false;
  for (let i = 0; i < n; i++) s[i] = Math.abs(recent[i]! - m);
  const bound = Math.max(o.k * MAD_TO_SIGMA * medianInPlace(s, n), o.minJump);
  return Math.abs(value - m) > bound;
}

let scratch = new Float64Array(64);

/** Median of s[0..n) (reorders it), n ≥ 1; NaN for n = 0 like `median`. */
function medianInPlace(s: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const mid = n >> 1;
  const upper = select(s, n, mid);
  if (n % 2 === 1) return upper;
  // After the selection everything below `mid` is ≤ s[mid]: the lower middle is their maximum.
  let lower = s[0]!;
  for (let i = 1; i < mid; i++) if (s[i]! > lower) lower = s[i]!;
  return (lower + upper) / 2;
}

/** The k-th smallest of s[0..n) (Hoare's selection); leaves s[0..k) ≤ s[k] ≤ s[k+1..n). */
function select(s: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = s[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (s[i]! < pivot) i++;
      while (s[j]! > pivot) j--;
      if (i <= j) {
        const t = s[i]!;
        s[i] = s[j]!;
        s[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return s[k]!;
}
