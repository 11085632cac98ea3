/**
 * The optional cap on the backlog drain (`buffer.drainRatePerSec`, for metered links): a token
 * bucket of `rate` messages per second, at most `max(1, rate)` saved up. Without a rate the
 * drain is limited only by the in-flight window, i.e. by how fast the platform acknowledges.
 */
export class DrainCap {
  #rate: number | undefined;
  #tokens = 1;
  #at = 0;

  constructor(rate: number | undefined, now: number) {
    this.#rate = rate;
    this.#at = now;
  }

  setRate(rate: number | undefined): void {
    this.#rate = rate;
  }

  /** A fresh connection: one message may go at once. */
  reset(now: number): void {
    this.#tokens = 1;
    this.#at = now;
  }

  /** 0 when a backlog message may go now, else ms until one may. */
  waitMs(now: number): number {
    const rate = this.#rate;
    if (rate === undefined) return 0;
    this.#tokens = Math.min(Math.max(1, rate), this.#tokens + ((now - this.#at) / 1000) * rate);
    this.#at = now;
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / rate) * 1000);
  }

  /** A backlog message went. */
  spend(): void {
    if (this.#rate !== undefined) this.#tokens -= 1;
  }
}
