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
