/**
 * Brute-force guard per key (a device id, an address): failures inside `windowMs` are counted;
 * the answer to each failure after the first is slowed (doubling, capped at 16× `delayMs`),
 * and `maxFailures` of them lock the key for `lockoutMs` — while locked, even correct
 * credentials are refused, so guessing gains nothing from the lock ending early.
 */
export interface FailureLockoutOptions {
  /** Failures inside the window that lock a key. Default 10. */
  readonly maxFailures: number;
  /** Window in which failures count, ms. Default 300000 (5 min). */
  readonly windowMs: number;
  /** How long a key stays locked, ms. Default 900000 (15 min). */
  readonly lockoutMs: number;
  /** Delay of the answer to the second failure, ms; doubles per further failure up to 16×; 0 = never slowed. Default 250. */
  readonly delayMs: number;
  /** Most keys tracked; the least recently failing are forgotten past it (a flood of fresh keys stays bounded). Default 100000. */
  readonly maxKeys: number;
}

export const FAILURE_LOCKOUT_DEFAULTS: FailureLockoutOptions = { maxFailures: 10, windowMs: 300_000, lockoutMs: 900_000, delayMs: 250, maxKeys: 100_000 };

interface Entry {
  /** Times of the failures inside the window, oldest first (at most maxFailures). */
  failures: number[];
  lockedUntil: number;
}

export class FailureLockout {
  readonly #o: FailureLockoutOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: Partial<FailureLockoutOptions> = {}) {
    this.#o = { ...FAILURE_LOCKOUT_DEFAULTS, ...options };
  }

  /** Milliseconds `key` stays locked; 0 when it is not locked. */
  lockedFor(key: string, nowMs = Date.now()): number {
    const e = this.#entries.get(key);
    return e && e.lockedUntil > nowMs ? e.lockedUntil - nowMs : 0;
  }

  /** Records a failed attempt: how long to delay its answer, and whether this failure locked the key. */
  fail(key: string, nowMs = Date.now()): { delayMs: number; locked: boolean } {
    const e = this.#entries.get(key) ?? { failures: [], lockedUntil: 0 };
    // Re-insert: Map order is then least recently failing first, which is what eviction drops.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    if (this.#entries.size > this.#o.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
    e.failures = e.failures.filter((t) => t > nowMs - this.#o.windowMs);
    e.failures.push(nowMs);
    if (e.failures.length > this.#o.maxFailures) e.failures.shift();
    const n = e.failures.length;
    const delayMs = n < 2 || this.#o.delayMs === 0 ? 0 : this.#o.delayMs * 2 ** Math.min(n - 2, 4);
    if (n >= this.#o.maxFailures && e.lockedUntil <= nowMs) {
      e.lockedUntil = nowMs + this.#o.lockoutMs;
      e.failures = [];
      return { delayMs, locked: true };
    }
    return { delayMs, locked: false };
  }

  /** A correct credential for `key`: its failures are forgotten (a lock stands until it ends). */
  succeed(key: string, nowMs = Date.now()): void {
    if (this.lockedFor(key, nowMs) === 0) this.#entries.delete(key);
  }

  /** An operator lifts the lock and forgets the failures (a locked-out office after a password mix-up). True when there was anything to lift. */
  lift(key: string, nowMs = Date.now()): boolean {
    const was = this.lockedFor(key, nowMs) > 0;
    this.#entries.delete(key);
    return was;
  }

  get size(): number {
    return this.#entries.size;
  }
}
