/**
 * SqlClient over PostgreSQL (node-postgres pool). Statements are written once with `?`
 * placeholders and numbered here (`$1`, `$2`, …). BIGINT and COUNT come back as JS numbers
 * (ids and epoch milliseconds stay far below 2^53). A transaction takes one pooled connection
 * for its whole length.
 */
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { SqlClient, SqlDatabase, SqlValue } from './sql-client.ts';

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

const numbered = new Map<string, string>();

/** `a = ? AND b = ?` → `a = $1 AND b = $2` (our statements carry no `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size < 2000) numbered.set(sql, out);
  }
  return out;
}

type Queryable = Pick<pg.Pool | PoolClient, 'query'>;

async function rows<T>(q: Queryable, sql: string, args: readonly SqlValue[]): Promise<T[]> {
  const res = await q.query(numberPlaceholders(sql), args as unknown[]);
  return res.rows as T[];
}

class PostgresTx implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly #c: PoolClient;

  constructor(c: PoolClient) {
    this.#c = c;
  }

  all<T>(sql: string, args: readonly SqlValue[] = []): Promise<T[]> {
    return rows<T>(this.#c, sql, args);
  }

  async get<T>(sql: string, args: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await rows<T>(this.#c, sql, args))[0];
  }

  async run(sql: string, args: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const res = await this.#c.query(numberPlaceholders(sql), args as unknown[]);
    return { changes: res.rowCount ?? 0 };
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

export interface PostgresClientOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
  /** Pooled connections. Default 10. */
  readonly maxConnections?: number;
}

export class PostgresClient implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #connectionString: string;

  constructor(options: PostgresClientOptions) {
    this.#connectionString = options.connectionString;
    const config: PoolConfig = { connectionString: options.connectionString, max: options.maxConnections ?? 10, types };
    this.#pool = new pg.Pool(config);
    // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  /** Where it connects (for a dedicated connection such as the leader lock's). */
  get connectionString(): string {
    return this.#connectionString;
  }

  all<T>(sql: string, args: readonly SqlValue[] = []): Promise<T[]> {
    return rows<T>(this.#pool, sql, args);
  }

  async get<T>(sql: string, args: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await rows<T>(this.#pool, sql, args))[0];
  }

  async run(sql: string, args: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const res = await this.#pool.query(numberPlaceholders(sql), args as unknown[]);
    return { changes: res.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      const result = await fn(new PostgresTx(c));
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /** The pool itself, for migrations (one connection under an advisory lock). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
