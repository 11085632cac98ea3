/**
 * Test support: a Shanshui cluster on loopback — N platform nodes as child processes
 * (`node ingest/src/main.ts`, as `npm start` runs it, so a test can `kill -9` one), sharing a
 * throwaway PostgreSQL, Redis and influxd, each node with its own data folder (spool) and ports,
 * all with the same device-secret key.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ConfigInput } from '@shanshui/ingest';
import { freePort } from '@shanshui/ingest';
import { ChildPlatform } from './child-platform.ts';
import { httpApi } from './http-api.ts';
import type { HttpApi } from './http-api.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';
import { startRedisServer } from './redis-server.ts';
import type { RedisServer } from './redis-server.ts';
import { startInfluxd } from './test-platform.ts';
import { tempDir } from './temp-dir.ts';

export interface ClusterNode {
  readonly index: number;
  readonly platform: ChildPlatform;
  readonly api: HttpApi;
  readonly mqttUrl: string;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly influxUrl: string;
  readonly databaseUrl: string;
  readonly redis: RedisServer;
  readonly apiToken: string;
  readonly dir: string;
  /** InfluxQL against the shared influxd; rows as objects. */
  query(q: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly nodes: number;
  /** More config keys for every node. */
  readonly config?: ConfigInput;
}

const API_TOKEN = 'cluster-admin-token-0123456789';

/**
 * Whether `node` leads the cross-station rules, as its log says last ('leading …' / 'no longer
 * leading …', logged with `isLeader`); undefined before it has said either.
 */
export async function leadsCrossStationRules(node: ClusterNode): Promise<boolean | undefined> {
  const last = (await node.platform.logText())
    .split('\n')
    .filter((l) => l.includes('the cross-station rules'))
    .at(-1);
  return last === undefined ? undefined : last.includes('"isLeader":true');
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const tmp = await tempDir('shanshui-cluster-');
  const cleanups: Array<() => Promise<void>> = [async () => tmp.remove()];
  const close = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const [postgres, redis, influx] = await Promise.all([startPostgres(), startRedisServer(), startInfluxd()]);
    cleanups.push(() => (postgres as PostgresServer).stop(), () => redis.stop(), () => influx.remove());
    const databaseUrl = await postgres.createDatabase('shanshui');
    const secretKey = randomBytes(32).toString('hex');
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < o.nodes; i++) {
      const config = {
        influxUrl: influx.influxd.url,
        logLevel: (process.env['TEST_LOG_LEVEL'] ?? 'info') as 'info',
        scryptCost: 1024,
        authFailureDelayMs: 0,
        leaderRetryMs: 300,
        staleCheckIntervalMs: 500,
        webhookAllowNetworks: '127.0.0.0/8',
        ...o.config,
        dataDir: path.join(tmp.dir, `node-${i + 1}`),
        host: '127.0.0.1',
        mqttPort: await freePort(),
        httpPort: await freePort(),
        apiToken: API_TOKEN,
        nodeId: `node-${i + 1}`,
        databaseUrl,
        redisUrl: redis.url,
        secretKey,
      };
      const platform = new ChildPlatform({ config, logFile: path.join(tmp.dir, `node-${i + 1}.log`) });
      cleanups.push(() => platform.close());
      nodes.push({ index: i, platform, api: httpApi(platform.httpUrl, API_TOKEN), mqttUrl: platform.mqttUrl });
    }
    // One at a time: the first applies the migrations, the others find them applied.
    for (const n of nodes) await n.platform.start(120_000);
    return {
      nodes,
      influxUrl: influx.influxd.url,
      databaseUrl,
      redis,
      apiToken: API_TOKEN,
      dir: tmp.dir,
      async query(q) {
        const url = `${influx.influxd.url}/query?${new URLSearchParams({ db: 'shanshui', q, epoch: 'ms' })}`;
        const res = await fetch(url);
        const body = (await res.json()) as { results?: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }> };
        return (body.results?.[0]?.series ?? []).flatMap((s) => s.values.map((row) => Object.fromEntries(s.columns.map((c, j) => [c, row[j]]))));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
