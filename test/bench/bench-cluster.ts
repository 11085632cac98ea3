/**
 * Part 6 — the cluster: N platform nodes (`node ingest/src/main.ts` each) on one PostgreSQL,
 * Redis and influxd, with as many nodes as the per-process open-file limit needs for the
 * devices, and raw-socket device processes (raw-connector-program.ts) spread over the nodes:
 *   - connected devices: total and per-connection RSS of the nodes;
 *   - reconnect storm: every node stopped, then all started again at once on their folders and
 *     ports; time from the restart until every device is connected and subscribed again (devices
 *     retry after 1–3 s, to the next node), and how much of it the nodes' own start took;
 *   - Redis and PostgreSQL work per CONNECT (commands and transactions counted by each server).
 * Stations are written straight into PostgreSQL as the API would (keyed hash of a known secret),
 * so 100,000 registrations do not dominate the run.
 */
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { DeviceSecrets, freePort } from '@shanshui/ingest';
import { PlatformProcess } from './platform-process.ts';
import { rssKiB } from './proc-stats.ts';
import { benchTempDir } from './bench-resources.ts';
import { startClusterBackends } from './cluster-backends.ts';
import type { ClusterBackends } from './cluster-backends.ts';
import { withFdLimit } from './fd-limit.ts';
import { progress, sleep } from './progress.ts';

export interface ClusterBenchOptions {
  readonly devices: number;
  /** Devices per node process and per device process (below the open-file limit). */
  readonly perProcess: number;
  /** Give up waiting for connects after this long, s. */
  readonly maxSeconds: number;
}

export interface ClusterBenchResult {
  readonly devices: number;
  readonly nodes: number;
  readonly connectorProcesses: number;
  readonly connected: number;
  readonly connectSeconds: number;
  readonly rssBeforeKiB: number[];
  readonly rssAfterKiB: number[];
  readonly perConnectionKiB: number;
  readonly totalRssKiB: number;
  readonly redisCommandsPerConnect: number;
  readonly postgresTransactionsPerConnect: number;
  /** `nodesReadySeconds`: from the restart until every node answered /healthz again (part of `seconds`). */
  readonly storm: { readonly reconnected: number; readonly seconds: number; readonly connectsPerSec: number; readonly nodesReadySeconds: number } | undefined;
  readonly firstError?: string;
}

const CONNECTOR = path.join(import.meta.dirname, 'raw-connector-program.ts');

class Connector {
  readonly #child: ChildProcess;
  readonly #waiters = new Map<string, (m: Record<string, unknown>) => void>();
  constructor(fdNeed: number) {
    const [cmd, args] = withFdLimit(process.execPath, [CONNECTOR], fdNeed);
    this.#child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const kill = (): void => void this.#child.kill('SIGKILL');
    process.once('exit', kill);
    this.#child.once('exit', () => process.off('exit', kill));
    this.#child.on('message', (m) => {
      const msg = m as Record<string, unknown>;
      const w = this.#waiters.get(String(msg['ev']));
      this.#waiters.delete(String(msg['ev']));
      w?.(msg);
    });
  }
  get pid(): number {
    return this.#child.pid ?? -1;
  }
  wait(ev: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.#waiters.set(ev, resolve));
  }
  send(m: unknown): void {
    this.#child.send(m as never);
  }
  async status(): Promise<{ ready: number; failed: number; firstError?: string }> {
    const p = this.wait('status');
    this.send({ cmd: 'status' });
    return (await p) as unknown as { ready: number; failed: number; firstError?: string };
  }
  async close(): Promise<void> {
    const p = this.wait('closed');
    this.send({ cmd: 'close' });
    await Promise.race([p, sleep(3000)]);
    this.#child.kill('SIGKILL');
  }
}

async function redisTotalCommands(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('INFO stats\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /total_commands_processed:(\d+)/.exec(text);
      if (m) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.on('error', reject);
  });
}

async function postgresTransactions(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

export async function benchCluster(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const tmp = await benchTempDir('shanshui-bench-cluster-');
  const nodes: PlatformProcess[] = [];
  const connectors: Connector[] = [];
  let backends: ClusterBackends | undefined;
  try {
    backends = await startClusterBackends(tmp.dir);
    const { redis, influxd, databaseUrl } = backends;
    const key = randomBytes(32);
    const nodeCount = Math.ceil(o.devices / o.perProcess);
    const ports = await Promise.all(Array.from({ length: nodeCount }, async () => ({ mqtt: await freePort(), http: await freePort() })));
    const startNode = (i: number): Promise<PlatformProcess> =>
      PlatformProcess.start({
        dataDir: path.join(tmp.dir, `node-${i + 1}`),
        influxUrl: influxd.url,
        logFile: path.join(tmp.dir, `node-${i + 1}.log`),
        fdNeed: o.perProcess + 2048,
        mqttPort: ports[i]!.mqtt,
        httpPort: ports[i]!.http,
        config: { databaseUrl, redisUrl: redis.url, secretKey: key.toString('hex'), nodeId: `node-${i + 1}`, defaultRules: false, maxConnections: o.perProcess + 1000 },
      });
    progress(`cluster: ${nodeCount} nodes for ${o.devices} devices (≤ ${o.perProcess} per process)`);
    nodes.push(await startNode(0));
    // The stations, as the API stores them: a keyed hash of each device's secret.
    const secrets = new DeviceSecrets(key);
    const secretOf = (id: string): string => createHmac('sha256', 'bench').update(id).digest('base64url');
    const ids = Array.from({ length: o.devices }, (_, i) => `clu-${String(i).padStart(6, '0')}`);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      const values: unknown[] = [];
      const rows = chunk.map((id, j) => {
        values.push(id, `压测站 ${id}`, 'air', 23 + (j % 100) / 100, 113, '440100', 'eco-env', new Date().toISOString(), secrets.keyedHash(secretOf(id)));
        const b = j * 9;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9})`;
      });
      await db.query(`INSERT INTO stations (id, name, domain, lat, lon, region, department, created_at, secret_hash) VALUES ${rows.join(', ')}`, values);
    }
    await db.end();
    progress(`cluster: ${o.devices} stations stored in ${((performance.now() - started) / 1000).toFixed(1)} s; starting ${nodeCount - 1} more nodes`);
    for (let i = 1; i < nodeCount; i++) nodes.push(await startNode(i));
    await sleep(2000);
    const rssBeforeKiB = nodes.map((n) => rssKiB(n.pid) ?? 0);
    const redisBefore = await redisTotalCommands(redis.port);
    const pgBefore = await postgresTransactions(databaseUrl);

    const urls = ports.map((p) => ({ host: '127.0.0.1', port: p.mqtt }));
    const perConnector = o.perProcess;
    const connectStarted = performance.now();
    for (let g = 0; g * perConnector < o.devices; g++) {
      const slice = ids.slice(g * perConnector, (g + 1) * perConnector);
      const c = new Connector(slice.length + 1024);
      connectors.push(c);
      await c.wait('ready');
      c.send({ cmd: 'connect', urls, keepaliveSec: 1200, concurrency: 200, devices: slice.map((id, j) => ({ id, password: secretOf(id), urlIndex: (g * perConnector + j) % nodeCount })) });
    }
    const total = async (): Promise<{ ready: number; failed: number; firstError?: string }> => {
      const all = await Promise.all(connectors.map((c) => c.status()));
      return { ready: all.reduce((n, s) => n + s.ready, 0), failed: all.reduce((n, s) => n + s.failed, 0), ...(all.find((s) => s.firstError)?.firstError ? { firstError: all.find((s) => s.firstError)!.firstError! } : {}) };
    };
    const waitAll = async (what: string, since: number): Promise<{ ready: number; seconds: number; firstError?: string }> => {
      let last = { ready: 0, failed: 0 } as { ready: number; failed: number; firstError?: string };
      for (;;) {
        last = await total();
        const seconds = (performance.now() - since) / 1000;
        progress(`cluster ${what}: ${last.ready}/${o.devices} connected after ${seconds.toFixed(0)} s (${last.failed} failed attempts), nodes RSS ${Math.round(nodes.reduce((n, p) => n + (rssKiB(p.pid) ?? 0), 0) / 1024)} MiB`);
        if (last.ready >= o.devices || seconds > o.maxSeconds) return { ready: last.ready, seconds, ...(last.firstError ? { firstError: last.firstError } : {}) };
        await sleep(3000);
      }
    };
    const first = await waitAll('connect', connectStarted);
    await sleep(3000);
    const rssAfterKiB = nodes.map((n) => rssKiB(n.pid) ?? 0);
    const redisAfter = await redisTotalCommands(redis.port);
    const pgAfter = await postgresTransactions(databaseUrl);
    const grown = rssAfterKiB.reduce((n, v, i) => n + v - rssBeforeKiB[i]!, 0);

    // Reconnect storm: the whole cluster restarts on its folders and ports.
    progress('cluster: restarting every node (reconnect storm)');
    for (const n of nodes.splice(0)) await n.stop();
    // All at once, as an orchestrator restarts a cluster; the devices retry meanwhile.
    const restartAt = performance.now();
    nodes.push(...(await Promise.all(Array.from({ length: nodeCount }, async (_, i) => startNode(i)))));
    const nodesReadySeconds = (performance.now() - restartAt) / 1000;
    progress(`cluster storm: every node ready again after ${nodesReadySeconds.toFixed(1)} s`);
    const storm = await waitAll('storm', restartAt);
    return {
      devices: o.devices,
      nodes: nodeCount,
      connectorProcesses: connectors.length,
      connected: first.ready,
      connectSeconds: first.seconds,
      rssBeforeKiB,
      rssAfterKiB,
      perConnectionKiB: first.ready > 0 ? grown / first.ready : 0,
      totalRssKiB: rssAfterKiB.reduce((a, b) => a + b, 0),
      redisCommandsPerConnect: first.ready > 0 ? (redisAfter - redisBefore) / first.ready : 0,
      postgresTransactionsPerConnect: first.ready > 0 ? (pgAfter - pgBefore) / first.ready : 0,
      storm: { reconnected: storm.ready, seconds: storm.seconds, connectsPerSec: storm.ready / storm.seconds, nodesReadySeconds },
      ...(first.firstError ? { firstError: first.firstError } : {}),
    };
  } finally {
    for (const c of connectors) await c.close().catch(() => undefined);
    for (const n of nodes) await n.stop().catch(() => undefined);
    await backends?.stop();
    await tmp.remove();
  }
}
