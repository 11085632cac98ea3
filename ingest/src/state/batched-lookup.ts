/**
 * Lookups by key gathered into one query: every `get` made within `windowMs` of the first one
 * is answered by a single `loadMany` (at most `maxBatch` keys each). While a load is in flight,
 * new keys wait for it too, and go together in the next one when it returns — but never before
 * their own window is over, or a store answering in a millisecond would be asked once per
 * round trip, about once per key. The window itself widens while keys keep coming (doubling
 * after each load of several keys, up to `maxWindowMs`) and falls back to `windowMs` after a load
 * of one: quiet, a lookup waits 10 ms; in a reconnect storm, 50 ms batches. A storm of thousands
 * of CONNECTs then costs the store a few queries a second, not one per device — each a round trip
 * that, on a node's saturated cores, cost more than the query (15 % of a node's storm CPU at 10 ms).
 */

export interface BatchedLookupOptions<K, V> {
  /** Loads several keys at once; keys missing from the answer get `undefined`. */
  readonly loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  /** How long the first lookup waits for others, ms. Default 10 (a CONNECT answered 10 ms later; a storm of 1,000 a second asks in tens, not ones). */
  readonly windowMs?: number;
  /** The widest the window grows to while keys keep coming, ms. Default 50. */
  readonly maxWindowMs?: number;
  /** Most keys per `loadMany`. Default 500. */
  readonly maxBatch?: number;
}

/** A load in flight longer than this no longer holds back the keys asked after it, ms. */
const STALLED_MS = 2000;

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(err: unknown): void;
}

export class BatchedLookup<K, V> {
  readonly #loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  readonly #windowMs: number;
  readonly #maxWindowMs: number;
  /** The window the next first key waits: `windowMs`, doubled after each load of several keys. */
  #window: number;
  readonly #maxBatch: number;
  #pending = new Map<K, Array<Waiter<V>>>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  /** The pending keys' window is over: they go as soon as no load is in flight. */
  #due = false;

  constructor(o: BatchedLookupOptions<K, V>) {
    this.#loadMany = o.loadMany;
    this.#windowMs = o.windowMs ?? 10;
    this.#maxWindowMs = Math.max(this.#windowMs, o.maxWindowMs ?? 50);
    this.#window = this.#windowMs;
    this.#maxBatch = o.maxBatch ?? 500;
  }

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.#pending.set(key, [{ resolve, reject }]);
      if (this.#pending.size >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#windowOver(), this.#window);
    });
  }

  #windowOver(): void {
    this.#timer = undefined;
    if (this.#inFlight === 0) return this.#flush();
    // A load runs: the keys wait for it — but not for one that hangs (a store that stopped answering).
    this.#due = true;
    this.#timer = setTimeout(() => this.#flush(), STALLED_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = false;
    const batch = this.#pending;
    if (batch.size === 0) return;
    this.#pending = new Map();
    this.#window = batch.size > 1 ? Math.min(this.#maxWindowMs, this.#window * 2) : this.#windowMs;
    this.#inFlight++;
    const settled = (): void => {
      // What gathered meanwhile goes now if its window is over; otherwise its timer sends it.
      if (--this.#inFlight === 0 && this.#due && this.#pending.size > 0) this.#flush();
    };
    let load: Promise<ReadonlyMap<K, V>>;
    try {
      load = this.#loadMany([...batch.keys()]);
    } catch (err) {
      load = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    load.then(
      (found) => {
        settled();
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
      },
      (err: unknown) => {
        settled();
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
