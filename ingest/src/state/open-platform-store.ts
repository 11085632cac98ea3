/**
 * Opens platform state: PostgreSQL when `databaseUrl` is a postgres:// URL (several nodes
 * share it), else the SQLite file `sqliteFile` (one node, the embedded default). Both are
 * migrated to the latest schema before anything reads them.
 */
import type { Logger } from 'pino';
import type { PlatformStore } from './platform-store.ts';
import type { UserStoreOptions } from '../auth/user-store.ts';
import { SqliteClient } from './sql/sqlite-client.ts';
import { PostgresClient } from './sql/postgres-client.ts';
import { migratePostgres, migrateSqlite } from './sql/apply-migrations.ts';
import { sqlPlatformStore } from './sql/sql-platform-store.ts';
import { PostgresLeadership, SoleLeadership } from './leadership.ts';

export interface OpenPlatformStoreOptions {
  /** SQLite file (or ':memory:'); used when `databaseUrl` is not set. */
  readonly sqliteFile?: string;
  /** `postgres://user:password@host:port/database` (SHANSHUI_DATABASE_URL). */
  readonly databaseUrl?: string;
  /** PostgreSQL pool size. Default 10. */
  readonly maxConnections?: number;
  /** Most dead letters kept. Default 100000. */
  readonly maxDeadLetters?: number;
  /** Password cost and session lifetimes of web app users. */
  readonly users?: Partial<UserStoreOptions>;
  readonly logger: Logger;
}

export async function openPlatformStore(o: OpenPlatformStoreOptions): Promise<PlatformStore> {
  const logger = o.logger.child({ component: 'store' });
  if (o.databaseUrl) {
    const client = new PostgresClient({ connectionString: o.databaseUrl, ...(o.maxConnections ? { maxConnections: o.maxConnections } : {}) });
    try {
      const applied = await migratePostgres(client.pool);
      if (applied.length) logger.info({ applied }, 'PostgreSQL schema migrated');
    } catch (err) {
      await client.close();
      throw err;
    }
    return sqlPlatformStore(client, {
      backend: 'postgres',
      logger,
      ...(o.maxDeadLetters ? { maxDeadLetters: o.maxDeadLetters } : {}),
      ...(o.users ? { users: o.users } : {}),
      leadership: (name, opts) =>
        new PostgresLeadership({ connectionString: o.databaseUrl!, name, ...(opts?.retryMs ? { retryMs: opts.retryMs } : {}), onError: (err) => logger.warn({ err, name }, 'leader lock connection failed') }),
    });
  }
  if (!o.sqliteFile) throw new Error('openPlatformStore: neither databaseUrl nor sqliteFile given');
  const client = new SqliteClient(o.sqliteFile);
  try {
    const applied = migrateSqlite(client.database);
    if (applied.length) logger.debug({ applied }, 'SQLite schema migrated');
  } catch (err) {
    await client.close();
    throw err;
  }
  return sqlPlatformStore(client, { backend: 'sqlite', logger, ...(o.maxDeadLetters ? { maxDeadLetters: o.maxDeadLetters } : {}), ...(o.users ? { users: o.users } : {}), leadership: () => new SoleLeadership() });
}
