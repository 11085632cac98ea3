/**
 * SqlClient over node:sqlite (synchronous underneath). Each statement runs to completion in
 * one call, so nothing interleaves inside it; a transaction holds the connection across its
 * awaits, and statements from outside it queue until it ends (one writer, like SQLite itself).
 * WAL mode with synchronous=NORMAL: a process crash loses no committed row.
 */
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { SqlClient, SqlDatabase, SqlValue } from './sql-client.ts';

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

  constructor(file: string) {
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = OFF;');
    this.#tx = new SqliteTx(new SqliteStatements(this.#db));
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
    if (this.#db.isOpen) this.#db.close();
  }
}
