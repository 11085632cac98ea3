/** The platform store contract against a real PostgreSQL (Debian's, started on a free port with a temp data folder). */
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { openPlatformStore } from '@shanshui/ingest';
import type { PlatformStore } from '@shanshui/ingest';
import { deliveryHandoverContract, platformStoreContract } from '@shanshui/ingest/testing';
import { startPostgres } from '../support/postgres-server.ts';
import type { PostgresServer } from '../support/postgres-server.ts';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

platformStoreContract('PostgreSQL', async () => {
  const url = await server.createDatabase();
  const opened: PlatformStore[] = [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async open() {
      const store = await openPlatformStore({ databaseUrl: url, logger: pino({ level: 'silent' }) });
      opened.push(store);
      return store;
    },
    async query(sql) {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    },
    async drop() {
      for (const s of opened) await s.close().catch(() => undefined);
      await client.end();
    },
  };
});

// Three nodes, each with a store (pool) of its own on one database.
deliveryHandoverContract('PostgreSQL', async () => {
  const url = await server.createDatabase();
  const opened: PlatformStore[] = [];
  return {
    async open() {
      const store = await openPlatformStore({ databaseUrl: url, logger: pino({ level: 'silent' }) });
      opened.push(store);
      return store;
    },
    async close() {
      for (const s of opened) await s.close().catch(() => undefined);
    },
  };
});
