/**
 * The one seam between the record stores and a database engine: parameterised SQL with `?`
 * placeholders, rows as plain objects, and transactions. Two implementations — SQLite
 * (node:sqlite, the embedded default) and PostgreSQL (node-postgres) — so every record store
 * is written once and runs on both; `dialect` picks the few statements that differ.
 */

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null | Uint8Array;

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlClient {
  readonly dialect: SqlDialect;
  /** Every row of a query. */
  all<T>(sql: string, args?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, args?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; `changes` is the number of rows it touched. */
  run(sql: string, args?: readonly SqlValue[]): Promise<{ readonly changes: number }>;
  /**
   * Runs `fn` in one transaction (committed when it resolves, rolled back when it throws).
   * Inside, use only `tx`: statements on the outer client wait until the transaction ends.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

/** A client that owns its connection(s). */
export interface SqlDatabase extends SqlClient {
  close(): Promise<void>;
}

/** `?, ?, ?` for `n` values (an empty list becomes a NULL that matches nothing). */
export function placeholders(n: number): string {
  return n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(', ');
}
