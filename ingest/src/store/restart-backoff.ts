/**
 * Delay before restart `attempt` (1, 2, …) of a crashed child: base × 2^(attempt−1), capped at
 * `maxMs`, with "equal jitter" (half fixed, half random). Small on purpose — when a shared backoff
 * lands in the repo this is the one line to swap.
 */
export function restartDelayMs(attempt: number, o: { readonly baseMs: number; readonly maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
