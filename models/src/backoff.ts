/**
 * Exponential backoff with "equal jitter": the n-th retry (n = 0, 1, …) waits between half and
 * all of min(maxMs, minMs × 2ⁿ), half of it fixed and half random. The fixed half keeps a
 * retry from coming back at once; the random half keeps a fleet that failed together (gateways
 * after a network outage, deliveries to a receiver that was down) from retrying in lock-step.
 * The one backoff of the platform: edge reconnects, webhook deliveries, InfluxDB drain retries.
 */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay, ms (the delay is ½ to 1 × this). */
  readonly minMs: number;
  /** Largest ceiling, ms: delays stop growing here. */
  readonly maxMs: number;
}

/** Delay before retry number `retry` (0 = the first), ms. `random` returns [0, 1). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const maxMs = Math.max(policy.minMs, policy.maxMs);
  // 2³⁰ already passes any sensible maxMs; the cap keeps the power finite.
  const ceiling = Math.min(maxMs, policy.minMs * 2 ** Math.min(Math.max(0, retry), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The same backoff as a counter, for a loop that retries until it succeeds. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #retry = 0;

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = { minMs: policy.minMs, maxMs: policy.maxMs };
    this.#random = random;
  }

  /** Delay before the next attempt; each call doubles the ceiling up to `maxMs`. */
  next(): number {
    return backoffDelayMs(this.#retry++, this.#policy, this.#random);
  }

  /** An attempt succeeded: start from `minMs` again. */
  reset(): void {
    this.#retry = 0;
  }

  /** Delays handed out since the last success. */
  get attempts(): number {
    return this.#retry;
  }
}
