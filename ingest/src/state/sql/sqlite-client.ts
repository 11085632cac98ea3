/**
 * SqlClient over node:sqlite (synchronous underneath). Each statement runs to completion in
 * one call, so nothing interleaves inside it; a transaction holds the connection across its
 * awaits, and statements from outside it queue until it ends (one writer, like SQLite itself).
 * WAL mode with synchronous=NORMAL: a process crash loses no committed row. The log is copied
 * into the database file by a thread of its own (sqlite-checkpointer.ts), not in a commit here.
 */
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { SqlClient, SqlDatabase, SqlValue } from './sql-client.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';

/** SQLite's own default: a commit that takes the log past this many pages checkpoints it. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

class SqliteStatements {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  prepare(sql: string): StatementSync {
    let st = this.#cache.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#cache.set(sql, st);
    }
    return st;
  }
}

/** The statements of one open transaction: run at once, on the held connection. */
class SqliteTx implements SqlClient {
  readonly dialect = 'sqlite' as const;
  readonly #st: SqliteStatements;

  constructor(st: SqliteStatements) {
    this.#st = st;
  }

  async all<T>(sql: string, args: readonly SqlValue[] = []): Promise<T[]> {
    return this.#st.prepare(sql).all(...args) as T[];
  }

  async get<T>(sql: string, args: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#st.prepare(sql).get(...args) as T | undefined;
  }

  async run(sql: string, args: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: Number(this.#st.prepare(sql).run(...args).changes) };
  }

  /** Nested: already inside the one transaction. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

export class SqliteClient implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  readonly #tx: SqliteTx;
  /** The transaction holding the connection, if any; outside statements wait for it. */
  #held: Promise<unknown> | undefined;
  readonly #checkpointer: SqliteCheckpointer | undefined;

  /**
   * `checkpointIntervalMs`: a file database's log is checkpointed this often by a thread of its
   * own (sqlite-checkpointer.ts), never inside a commit here; 0 leaves it to SQLite (in the
   * commit that passes 1000 pages). Default 1000. An in-memory database has no log.
   */
  constructor(file: string, options: { readonly checkpointIntervalMs?: number } = {}) {
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = OFF;');
    this.#tx = new SqliteTx(new SqliteStatements(this.#db));
    const interval = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (interval > 0 && file !== '' && file !== ':memory:' && !file.startsWith('file::memory:')) {
      this.#db.exec('PRAGMA wal_autocheckpoint = 0;');
      this.#checkpointer = new SqliteCheckpointer(file, interval, () => {
        // The thread is gone: checkpoint in the commits again rather than let the log grow.
        if (this.#db.isOpen) this.#db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES};`);
      });
    }
  }

  /** The connection itself, for migrations (which run before any other statement). */
  get database(): DatabaseSync {
    return this.#db;
  }

  async all<T>(sql: string, args?: readonly SqlValue[]): Promise<T[]> {
    while (this.#held) await this.#held.catch(() => undefined);
    return this.#tx.all<T>(sql, args);
  }

  async get<T>(sql: string, args?: readonly SqlValue[]): Promise<T | undefined> {
    while (this.#held) await this.#held.catch(() => undefined);
    return this.#tx.get<T>(sql, args);
  }

  async run(sql: string, args?: readonly SqlValue[]): Promise<{ changes: number }> {
    while (this.#held) await this.#held.catch(() => undefined);
    return this.#tx.run(sql, args);
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    // Checked and taken in one synchronous step: no other caller starts in between.
    while (this.#held) await this.#held.catch(() => undefined);
    const run = async (): Promise<T> => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    };
    const p = run();
    this.#held = p;
    try {
      return await p;
    } finally {
      if (this.#held === p) this.#held = undefined;
    }
  }

  async close(): Promise<void> {
    while (this.#held) await this.#held.catch(() => undefined);
    // The checkpointer's connection first: the main one, closing last, checkpoints and removes the log.
    await this.#checkpointer?.stop();
    if (this.#db.isOpen) this.#db.close();
  }
}
