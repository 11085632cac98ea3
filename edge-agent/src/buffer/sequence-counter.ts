/**
 * The uplink's message `seq`, one counter per station (the agent's own and each child it is
 * the gateway of), committed to the buffer database before use, so each keeps increasing
 * across restarts and the platform tracks gaps and duplicates per station.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction } from './buffer-database.ts';

export class SequenceCounter {
  readonly #db: DatabaseSync;
  readonly #next: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#next = db.prepare('INSERT INTO meta (key, value) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value');
  }

  /**
   * Next message sequence number of `station` (undefined: the agent's own), committed before use
   * without waiting for the disk (WAL, synchronous=NORMAL): it survives the agent's crash; only
   * a power cut may hand a few numbers out again, which the platform counts as duplicates (the
   * readings themselves were committed with fsync when taken). An fsync per message held the
   * whole event loop — PUBACKs included — for the disk's latency on every publish.
   */
  next(station?: string): number {
    // Inside a caller's transaction, that one commits it (and decides how durably).
    if (this.#db.isTransaction) return this.#increment(station);
    let value = 0;
    inTransaction(
      this.#db,
      () => {
        value = this.#increment(station);
      },
      false,
    );
    return value;
  }

  #increment(station: string | undefined): number {
    return Number((this.#next.get(station === undefined ? 'seq' : `seq:${station}`) as { value: number }).value);
  }
}
