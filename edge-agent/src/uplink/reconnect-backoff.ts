/**
 * Exponential reconnect backoff with jitter ("equal jitter": half fixed, half random), so a
 * fleet of gateways that lost the network together does not reconnect in lock-step. mqtt.js'
 * own `reconnectPeriod` is a fixed delay, which is why the uplink schedules reconnects itself.
 */
export class ReconnectBackoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(minMs: number, maxMs: number, random: () => number = Math.random) {
    this.#minMs = minMs;
    this.#maxMs = Math.max(minMs, maxMs);
    this.#random = random;
  }

  /** Delay before the next attempt; each call doubles the ceiling up to `maxMs`. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** A connection succeeded: start from `minMs` again. */
  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
