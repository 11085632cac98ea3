/**
 * Spike check (a Hampel filter): a value is a spike when it lies more than
 * max(k · 1.4826 · MAD, minJump) from the median of the recent values. The recent values
 * include earlier spikes, so a genuine step change stops counting as spikes once it holds for
 * half the window.
 */
import { MAD_TO_SIGMA, median, medianAbsoluteDeviation } from './robust-stats.ts';

export interface SpikeOptions {
  readonly k: number;
  readonly minJump: number;
  readonly minSamples: number;
}

export function isSpike(recent: readonly number[], value: number, o: SpikeOptions): boolean {
  if (recent.length < o.minSamples) return false;
  const m = median(recent);
  const bound = Math.max(o.k * MAD_TO_SIGMA * medianAbsoluteDeviation(recent, m), o.minJump);
  return Math.abs(value - m) > bound;
}
