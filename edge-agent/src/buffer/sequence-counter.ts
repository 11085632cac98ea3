/**
 * The uplink's message `seq`, one counter per station (the agent's own and each child it is
 * the gateway of), persisted in the buffer database before use, so each keeps increasing
 * across restarts and the platform tracks gaps and duplicates per station.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export class SequenceCounter {
  readonly #next: StatementSync;

  constructor(db: DatabaseSync) {
    this.#next = db.prepare('INSERT INTO meta (key, value) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value');
  }

  /** Next message sequence number of `station` (undefined: the agent's own), persisted before use. */
  next(station?: string): number {
    return Number((this.#next.get(station === undefined ? 'seq' : `seq:${station}`) as { value: number }).value);
  }
}
