/** Bench: the engines a cluster of platform nodes shares — PostgreSQL (with a fresh database), Redis and one influxd — started together and stopped together. */
import path from 'node:path';
import type { ManagedInfluxd } from '@shanshui/ingest';
import { startPostgres } from '../support/postgres-server.ts';
import type { PostgresServer } from '../support/postgres-server.ts';
import { startRedisServer } from '../support/redis-server.ts';
import type { RedisServer } from '../support/redis-server.ts';
import { startBenchInfluxd } from './bench-resources.ts';

export interface ClusterBackends {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  readonly influxd: ManagedInfluxd;
  /** `SHANSHUI_DATABASE_URL` of the nodes' database. */
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/** Starts the three under `dir`; whatever did start is stopped again when another fails. */
export async function startClusterBackends(dir: string): Promise<ClusterBackends> {
  const started = await Promise.allSettled([startPostgres(), startRedisServer(), startBenchInfluxd(path.join(dir, 'influxdb'))]);
  const [pg, rd, ix] = started;
  const stopAll = async (): Promise<void> => {
    if (ix.status === 'fulfilled') await ix.value.stop().catch(() => undefined);
    if (rd.status === 'fulfilled') await rd.value.stop().catch(() => undefined);
    if (pg.status === 'fulfilled') await pg.value.stop().catch(() => undefined);
  };
  if (pg.status === 'rejected' || rd.status === 'rejected' || ix.status === 'rejected') {
    await stopAll();
    const failed = started.find((s) => s.status === 'rejected');
    throw failed?.status === 'rejected' ? failed.reason : new Error('a cluster backend did not start');
  }
  try {
    const databaseUrl = await pg.value.createDatabase('shanshui');
    return { postgres: pg.value, redis: rd.value, influxd: ix.value, databaseUrl, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
