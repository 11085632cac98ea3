/**
 * Runs async writes in order per key (a device's presence, a station's alert changes) while
 * different keys proceed side by side; a pool of database connections would otherwise let a
 * later write overtake an earlier one. Errors go to `onError`, never to the caller.
 */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (err: unknown, key: string) => void;

  constructor(onError: (err: unknown, key: string) => void) {
    this.#onError = onError;
  }

  /** Queues `task` after the ones already queued for `key` (fire and forget: `settled()` waits). */
  run(key: string, task: () => Promise<unknown>): void {
    const p = (this.#tails.get(key) ?? Promise.resolve()).then(task).then(
      () => undefined,
      (err: unknown) => this.#onError(err, key),
    );
    this.#tails.set(key, p);
    p.finally(() => {
      if (this.#tails.get(key) === p) this.#tails.delete(key);
    }).catch(() => undefined);
  }

  /** Resolves when every task queued so far (and any queued meanwhile) has run. */
  async settled(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
