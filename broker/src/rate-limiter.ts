/** Token bucket per key: `ratePerSec` sustained, `burst` at once. */
export class RateLimiter {
  readonly #ratePerSec: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(ratePerSec: number, burst: number) {
    this.#ratePerSec = ratePerSec;
    this.#burst = burst;
  }

  /** Takes `cost` tokens for `key`; false when the bucket has not enough. */
  take(key: string, cost = 1, nowMs = performance.now()): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.#burst, at: nowMs };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.#ratePerSec);
    bucket.at = nowMs;
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Tokens `key` has now and ms until its bucket is full again; undefined when it has no bucket (full). */
  level(key: string, nowMs = performance.now()): { tokens: number; msToFull: number } | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    const tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.#ratePerSec);
    return { tokens, msToFull: Math.ceil(((this.#burst - tokens) / this.#ratePerSec) * 1000) };
  }

  /** Sets `key`'s bucket to `tokens` (a level carried over from another node), never above what it has. */
  restore(key: string, tokens: number, nowMs = performance.now()): void {
    const current = this.level(key, nowMs)?.tokens ?? this.#burst;
    this.#buckets.set(key, { tokens: Math.max(0, Math.min(current, tokens)), at: nowMs });
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }

  /**
   * Forgets `key` only once its bucket has refilled: a device that reconnects does not get a
   * fresh burst (a bucket still short stays, at most one per device id).
   */
  forgetIfFull(key: string, nowMs = performance.now()): void {
    const bucket = this.#buckets.get(key);
    if (bucket && bucket.tokens + ((nowMs - bucket.at) / 1000) * this.#ratePerSec >= this.#burst) this.#buckets.delete(key);
  }
}
