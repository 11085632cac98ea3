/**
 * Part 6 — the cluster: N platform nodes (`node ingest/src/main.ts` each) on one PostgreSQL,
 * Redis and influxd, with as many nodes as the per-process open-file limit needs for the
 * devices, and raw-socket device processes (raw-connector-program.ts: each device does what the
 * edge agent does — CONNECT with a last will, one SUBSCRIBE to its down/config and down/command)
 * spread over the nodes:
 *   - connected devices: total and per-connection RSS of the nodes, each read after a full GC
 *     (through the inspector) once a few warm-up devices per node have paid the one-time costs;
 *   - reconnect storm: every node stopped (SIGTERM, all at once), then all started again at once
 *     on their folders and ports; time from the restart until every device is connected and
 *     subscribed again (devices retry with the edge agent's backoff, to the next node), and how much of it the
 *     nodes' own start took;
 *   - CPU per CONNECT of the nodes, Redis, PostgreSQL and the device processes (from /proc), so
 *     a loaded machine still gives a figure: the rate two quiet cores allow follows from it;
 *   - Redis and PostgreSQL work per CONNECT (commands and transactions counted by each server).
 * Stations are written straight into PostgreSQL as the API would (keyed hash of a known secret),
 * so 100,000 registrations do not dominate the run. Every wait is bounded; progress every 5 s.
 */
import path from 'node:path';
import { descendantPids } from './process-tree.ts';
import { readdir } from 'node:fs/promises';
import { createHmac, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { DeviceSecrets } from '@shanshui/ingest';
import { PlatformProcess } from './platform-process.ts';
import { cpuSeconds, machineCpuSeconds, rssKiB } from './proc-stats.ts';
import { benchTempDir } from './bench-resources.ts';
import { startClusterBackends } from './cluster-backends.ts';
import type { ClusterBackends } from './cluster-backends.ts';
import { fdLimits, withFdLimit } from './fd-limit.ts';
import { progress, sleep } from './progress.ts';
import { summariseCpuProfile } from './cpu-profile-summary.ts';
import { cpuProbeMs } from './cpu-probe.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';

export interface ClusterBenchOptions {
  readonly devices: number;
  /** Devices per node process and per device process (below the open-file limit). */
  readonly perProcess: number;
  /** Give up waiting for the cold connects, and again for the storm, after this long, s. */
  readonly maxSeconds: number;
  /** The whole part stops waiting after about this long, s (the storm is skipped, or cut short, when the cold connects used it up). Default 780. */
  readonly budgetSeconds?: number;
  /** Run the restarted nodes under `--cpu-prof` into this folder and summarise the busiest. */
  readonly cpuProfDir?: string;
}

/** CPU seconds used in a phase: the nodes, Redis, PostgreSQL (all its processes), the device processes. */
export interface PhaseCpu {
  readonly nodes: number;
  readonly redis: number;
  readonly postgres: number;
  readonly devices: number;
  /** The whole machine (our processes and everyone else's). */
  readonly machine: number;
  readonly wallSec: number;
}

export interface ClusterBenchResult {
  readonly devices: number;
  readonly nodes: number;
  /** Each node's SHANSHUI_MAX_CONNECTIONS: the open-file limit less 1,000 (not its default, 100,000, which the file limit would not allow). */
  readonly connectionCapPerNode: number;
  readonly connectorProcesses: number;
  readonly warmUpDevices: number;
  readonly connected: number;
  readonly connectSeconds: number;
  /** Per node, after a full GC: with only the warm-up devices, then with every device. */
  readonly rssBeforeKiB: number[];
  readonly rssAfterKiB: number[];
  /** Per node, with every device, before that GC (what `ps` shows). */
  readonly rssAfterNoGcKiB: number[];
  readonly heapBeforeKiB: number[];
  readonly heapAfterKiB: number[];
  readonly perConnectionKiB: number;
  readonly heapPerConnectionKiB: number;
  readonly totalRssKiB: number;
  readonly redisCommandsPerConnect: number;
  /** Read events Redis processed per CONNECT: how many socket writes the nodes' commands came in. */
  readonly redisReadsPerConnect: number;
  readonly postgresTransactionsPerConnect: number;
  readonly connectCpu: PhaseCpu;
  /** `nodesReadySeconds`: from the restart until every node answered /healthz again (part of `seconds`); `stopSeconds`: the SIGTERM before it (not part of it). */
  readonly storm:
    | {
        readonly reconnected: number;
        readonly seconds: number;
        readonly connectsPerSec: number;
        readonly nodesReadySeconds: number;
        /** The nodes' CPU until each first answered /healthz, s (summed; part of `cpu.nodes`). */
        readonly startCpuSeconds: number;
        readonly stopSeconds: number;
        readonly failedAttempts: number;
        /** Attempts that failed once every node was ready again, by cause (see raw-connector-program.ts). */
        readonly failedAfterReadyBy: Readonly<Record<string, number>>;
        readonly cpu: PhaseCpu;
        readonly redisCommandsPerConnect: number;
        readonly redisReadsPerConnect: number;
        readonly postgresTransactionsPerConnect: number;
        /** The clean stop outlasted its grace: the rest were killed (SIGKILL). */
        readonly stopKilled: boolean;
        /** Devices connected to each node once all were back (shanshui_connected_devices). */
        readonly devicesPerNode: readonly number[];
        /** Connections and publishes the restarted nodes refused, by code (shanshui_mqtt_refused_total). */
        readonly refusedBy: Readonly<Record<string, number>>;
      }
    | undefined;
  /** Why the storm was not measured. */
  readonly stormSkipped?: string;
  readonly profile?: { readonly file: string; readonly summary: ProfileSummary };
  readonly totalSeconds: number;
  readonly firstError?: string;
  /** CPU ms of cpu-probe.ts's fixed work before the cold connects and before the storm (this VM's speed varies). */
  readonly cpuProbeMs: { readonly start: number; readonly storm?: number };
}

const CONNECTOR = path.join(import.meta.dirname, 'raw-connector-program.ts');
/** Devices per node connected before the 'before' memory reading: first connections pay one-time costs (code compiled, caches built). */
const WARM_UP_PER_NODE = 50;
/** Device process g's devices come from 127.{SOURCE_NET_BASE + g}.n.1 (raw-connector-program.ts). */
const SOURCE_NET_BASE = 10;
/** Status every so often while waiting. */
const PROGRESS_MS = 5000;

interface ConnectorStatus {
  ready: number;
  failed: number;
  failedBy?: Record<string, number>;
  firstError?: string;
}

class Connector {
  readonly #child: ChildProcess;
  readonly #waiters = new Map<string, Array<(m: Record<string, unknown>) => void>>();
  #exit: string | undefined;
  constructor(fdNeed: number) {
    const [cmd, args] = withFdLimit(process.execPath, [CONNECTOR], fdNeed);
    this.#child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const kill = (): void => void this.#child.kill('SIGKILL');
    process.once('exit', kill);
    this.#child.once('exit', (code, signal) => {
      process.off('exit', kill);
      this.#exit = `device process exited (${code ?? signal})`;
    });
    this.#child.on('message', (m) => {
      const msg = m as Record<string, unknown>;
      const ws = this.#waiters.get(String(msg['ev']));
      this.#waiters.delete(String(msg['ev']));
      for (const w of ws ?? []) w(msg);
    });
  }
  get pid(): number {
    return this.#child.pid ?? -1;
  }
  async wait(ev: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    if (this.#exit) throw new Error(this.#exit);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<Record<string, unknown>>((resolve) => this.#waiters.set(ev, [...(this.#waiters.get(ev) ?? []), resolve])),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(this.#exit ?? `device process ${this.pid}: no '${ev}' within ${timeoutMs / 1000} s`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
  send(m: unknown): void {
    if (this.#exit) throw new Error(this.#exit);
    this.#child.send(m as never);
  }
  async status(): Promise<ConnectorStatus> {
    const p = this.wait('status');
    this.send({ cmd: 'status' });
    return (await p) as unknown as ConnectorStatus;
  }
  async close(): Promise<void> {
    if (!this.#exit) {
      const p = this.wait('closed', 5000).catch(() => undefined);
      try {
        this.send({ cmd: 'close' });
      } catch {
        // gone already
      }
      await p;
    }
    this.#child.kill('SIGKILL');
  }
}

/**
 * A free port below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768
 * up here). The nodes restart on the same ports during the storm while 100,000 devices open
 * outgoing connections from ephemeral ports: a port picked from that range (port 0) can be some
 * socket's local port by then, and the node fails to start ("already in use").
 */
async function listenablePort(taken: ReadonlyArray<{ mqtt: number; http: number }>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.some((p) => p.mqtt === port || p.http === port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Redis' counters: commands run (Lua's inner ones too) and read events (≈ socket writes that reached it). */
interface RedisCounters {
  readonly commands: number;
  readonly reads: number;
}

async function redisCounters(port: number): Promise<RedisCounters> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('INFO stats\r\n'));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('redis INFO: no answer within 10 s'));
    }, 10_000);
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /total_commands_processed:(\d+)/.exec(text);
      const r = /total_reads_processed:(\d+)/.exec(text);
      if (m && r) {
        clearTimeout(timer);
        s.destroy();
        resolve({ commands: Number(m[1]), reads: Number(r[1]) });
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
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

/** CPU seconds of a process and all its descendants (PostgreSQL: runuser, the postmaster and its backends). */
function treeCpuSeconds(pid: number): number {
  return [pid, ...descendantPids(pid)].reduce((total, p) => total + (cpuSeconds(p) ?? 0), 0);
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export async function benchCluster(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const runStarted = performance.now();
  // Each node and device process kills its child on exit: a dozen 'exit' listeners is expected here, not a leak.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 64));
  const budget = o.budgetSeconds ?? 780;
  /** Seconds of the budget left. */
  const left = (): number => budget - (performance.now() - runStarted) / 1000;
  const probeStart = cpuProbeMs();
  const tmp = await benchTempDir('shanshui-bench-cluster-');
  const nodes: PlatformProcess[] = [];
  const connectors: Connector[] = [];
  let backends: ClusterBackends | undefined;
  try {
    backends = await startClusterBackends(tmp.dir);
    const { redis, influxd, databaseUrl, postgres } = backends;
    const pgPid = postgres.process.pid ?? -1;
    const key = randomBytes(32);
    const nodeCount = Math.ceil(o.devices / o.perProcess);
    const ports: Array<{ mqtt: number; http: number }> = [];
    for (let i = 0; i < nodeCount; i++) ports.push({ mqtt: await listenablePort(ports), http: await listenablePort(ports) });
    // Each node may open as many files as the machine allows a process, and takes connections up to
    // 1,000 below that (its database, Redis, spool and HTTP need the rest): 19,000 here, 14 % above
    // the 16,667 it holds on average. A storm does not spread the devices evenly (a device refused by a
    // node still starting tries the next one: 15,800–17,600 in one run). With a cap 8 % above the
    // average, one storm (16:29) ended with 365 attempts reset (ECONNRESET, as a full node's refusal
    // looks), each device then waiting out its grown backoff (30–60 s): a tail of 35 s.
    const nodeFds = Math.min(fdLimits().hard, o.perProcess + 4096);
    const startNode = (i: number, nodeArgs: readonly string[] = [], readySeconds = 180): Promise<PlatformProcess> =>
      PlatformProcess.start({
        dataDir: path.join(tmp.dir, `node-${i + 1}`),
        influxUrl: influxd.url,
        logFile: path.join(tmp.dir, `node-${i + 1}.log`),
        fdNeed: nodeFds,
        mqttPort: ports[i]!.mqtt,
        httpPort: ports[i]!.http,
        inspector: true,
        nodeArgs,
        // Several nodes starting at once on two cores, with their devices knocking.
        readyTimeoutMs: readySeconds * 1000,
        // Default settings but for what a bench needs: the first node's database, one key, no example rules, room for the devices.
        config: { databaseUrl, redisUrl: redis.url, secretKey: key.toString('hex'), nodeId: `node-${i + 1}`, defaultRules: false, maxConnections: nodeFds - 1000 },
      });
    progress(`cluster: ${nodeCount} nodes for ${o.devices} devices (≤ ${o.perProcess} per process); starting node 1 (it migrates the database)`);
    nodes.push(await startNode(0));
    // The stations, as the API stores them: a keyed hash of each device's secret.
    const secrets = new DeviceSecrets(key);
    const secretOf = (id: string): string => createHmac('sha256', 'bench').update(id).digest('base64url');
    const ids = Array.from({ length: o.devices }, (_, i) => `clu-${String(i).padStart(6, '0')}`);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const started = performance.now();
    try {
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
    } finally {
      await db.end();
    }
    progress(`cluster: ${o.devices} stations stored in ${((performance.now() - started) / 1000).toFixed(1)} s; starting ${nodeCount - 1} more nodes`);
    nodes.push(...(await Promise.all(Array.from({ length: nodeCount - 1 }, (_, i) => startNode(i + 1)))));

    // Device processes, each with its share of the devices; device i goes to node i mod N first.
    const urls = ports.map((p) => ({ host: '127.0.0.1', port: p.mqtt }));
    const connectorCount = Math.ceil(o.devices / o.perProcess);
    const perConnector = Math.ceil(o.devices / connectorCount);
    const slices = Array.from({ length: connectorCount }, (_, g) =>
      ids.slice(g * perConnector, (g + 1) * perConnector).map((id, j) => ({ id, password: secretOf(id), urlIndex: (g * perConnector + j) % nodeCount })),
    );
    for (const slice of slices) {
      const c = new Connector(slice.length + 1024);
      connectors.push(c);
      await c.wait('ready');
    }
    const total = async (): Promise<ConnectorStatus> => {
      const all = await Promise.all(connectors.map((c) => c.status()));
      const firstError = all.find((s) => s.firstError)?.firstError;
      const failedBy: Record<string, number> = {};
      for (const st of all) for (const [cause, n] of Object.entries(st.failedBy ?? {})) failedBy[cause] = (failedBy[cause] ?? 0) + n;
      return { ready: sum(all.map((s) => s.ready)), failed: sum(all.map((s) => s.failed)), failedBy, ...(firstError ? { firstError } : {}) };
    };
    const nodesRssMiB = (): number => Math.round(sum(nodes.map((n) => rssKiB(n.pid) ?? 0)) / 1024);
    const waitFor = async (what: string, target: number, since: number, maxSeconds: number): Promise<ConnectorStatus & { seconds: number }> => {
      for (;;) {
        const last = await total();
        const seconds = (performance.now() - since) / 1000;
        const causes = Object.entries(last.failedBy ?? {}).map(([cause, n]) => `${cause} ${n}`).join(', ');
        progress(`cluster ${what}: ${last.ready}/${target} connected after ${seconds.toFixed(0)} s (${last.failed} failed attempts${causes ? `: ${causes}` : ''}), nodes RSS ${nodesRssMiB()} MiB`);
        if (last.ready >= target || seconds > maxSeconds) {
          if (last.ready < target) progress(`cluster ${what}: gave up after ${maxSeconds} s with ${target - last.ready} devices not connected${last.firstError ? ` (first error: ${last.firstError})` : ''}`);
          return { ...last, seconds };
        }
        await sleep(Math.min(PROGRESS_MS, 1000 + seconds * 200));
      }
    };
    const warmUp = Math.min(o.devices, WARM_UP_PER_NODE * nodeCount);
    connectors[0]!.send({ cmd: 'connect', urls, keepaliveSec: 1200, concurrency: 50, sourceNet: SOURCE_NET_BASE, devices: slices[0]!.slice(0, warmUp) });
    const warm = await waitFor('warm-up', warmUp, performance.now(), 60);
    if (warm.ready < warmUp) throw new Error(`warm-up: ${warm.ready}/${warmUp} devices connected${warm.firstError ? ` (first error: ${warm.firstError})` : ''}`);
    // Memory after a full GC: live data, not garbage a scavenge has not reached yet.
    const settled = async (): Promise<{ rss: number[]; heap: number[] }> => {
      await Promise.all(nodes.map((n) => n.collectGarbage()));
      await sleep(500);
      const heap = await Promise.all(nodes.map(async (n) => (await n.metric('shanshui_process_nodejs_heap_size_used_bytes')) / 1024));
      return { rss: nodes.map((n) => rssKiB(n.pid) ?? 0), heap };
    };
    const before = await settled();
    const cpuNow = (): Omit<PhaseCpu, 'wallSec'> => ({
      nodes: sum(nodes.map((n) => cpuSeconds(n.pid) ?? 0)),
      redis: cpuSeconds(redis.process.pid ?? -1) ?? 0,
      postgres: treeCpuSeconds(pgPid),
      devices: sum(connectors.map((c) => cpuSeconds(c.pid) ?? 0)),
      machine: machineCpuSeconds().busy,
    });
    const cpuSince = (a: Omit<PhaseCpu, 'wallSec'>, wallSec: number, nodesFrom?: number): PhaseCpu => {
      const b = cpuNow();
      return { nodes: b.nodes - (nodesFrom ?? a.nodes), redis: b.redis - a.redis, postgres: b.postgres - a.postgres, devices: b.devices - a.devices, machine: b.machine - a.machine, wallSec };
    };
    const redisBefore = await redisCounters(redis.port);
    const pgBefore = await postgresTransactions(databaseUrl);
    const cpuBefore = cpuNow();

    progress(`cluster: ${warmUp} warm-up devices connected; connecting the other ${o.devices - warmUp}`);
    const connectStarted = performance.now();
    slices.forEach((slice, g) => connectors[g]!.send({ cmd: 'connect', urls, keepaliveSec: 1200, concurrency: 200, sourceNet: SOURCE_NET_BASE + g, devices: g === 0 ? slice.slice(warmUp) : slice }));
    // Room kept for the storm (stop, start, reconnects).
    const first = await waitFor('connect', o.devices, connectStarted, Math.min(o.maxSeconds, Math.max(60, left() - 330)));
    const connectCpu = cpuSince(cpuBefore, first.seconds);
    const fresh = first.ready - warmUp;
    await sleep(3000);
    const redisAfter = await redisCounters(redis.port);
    const pgAfter = await postgresTransactions(databaseUrl);
    const rssAfterNoGcKiB = nodes.map((n) => rssKiB(n.pid) ?? 0);
    const after = await settled();
    const grown = sum(after.rss) - sum(before.rss);
    const heapGrown = sum(after.heap) - sum(before.heap);
    progress(`cluster: ${first.ready} connected; nodes RSS ${Math.round(sum(before.rss) / 1024)} → ${Math.round(sum(after.rss) / 1024)} MiB after GC = ${(grown / Math.max(1, fresh)).toFixed(1)} KiB per connection (heap ${(heapGrown / Math.max(1, fresh)).toFixed(1)} KiB); nodes' CPU ${((connectCpu.nodes / Math.max(1, fresh)) * 1e6).toFixed(0)} µs per CONNECT`);

    // Reconnect storm: the whole cluster restarts on its folders and ports, as an orchestrator
    // restarts it: every node stopped at once, then every node started at once; the devices retry meanwhile.
    let storm: ClusterBenchResult['storm'];
    let probeStorm: number | undefined;
    let stormSkipped: string | undefined;
    if (left() < 150) {
      stormSkipped = `time budget: ${Math.round(budget - left())} s of ${budget} s used before it`;
      progress(`cluster: no reconnect storm (${stormSkipped})`);
    } else {
      // A storm that fails (a node that does not come back in time) still leaves the figures above to report.
      try {
      progress('cluster: stopping every node (reconnect storm)');
      const stopAt = performance.now();
      // A clean stop ends every session (its will published, its presence written): thousands each.
      const graceSeconds = Math.min(180, Math.max(30, left() - 120));
      await Promise.all(nodes.splice(0).map((n) => n.stop(graceSeconds * 1000)));
      const stopSeconds = (performance.now() - stopAt) / 1000;
      const failedBefore = (await total()).failed;
      const redisBeforeStorm = await redisCounters(redis.port);
      const pgBeforeStorm = await postgresTransactions(databaseUrl);
      progress(`cluster storm: every node stopped in ${stopSeconds.toFixed(1)} s${stopSeconds >= graceSeconds ? ` (the last killed after ${graceSeconds} s)` : ''}; starting them all again`);
      probeStorm = cpuProbeMs();
      const cpuBeforeStorm = cpuNow();
      const restartAt = performance.now();
      const profArgs = o.cpuProfDir ? [`--cpu-prof`, `--cpu-prof-dir=${o.cpuProfDir}`] : [];
      // Each node's CPU when it first answers /healthz: its start-up (a few devices may already be in).
      const startCpu: number[] = [];
      nodes.push(...(await Promise.all(Array.from({ length: nodeCount }, (_, i) => startNode(i, profArgs, Math.min(180, Math.max(30, left() - 60))).then((n) => ((startCpu[i] = cpuSeconds(n.pid) ?? 0), n))))));
      const nodesReadySeconds = (performance.now() - restartAt) / 1000;
      const failedByAtReady = (await total()).failedBy ?? {};
      progress(`cluster storm: every node ready again after ${nodesReadySeconds.toFixed(1)} s`);
      const back = await waitFor('storm', o.devices, restartAt, Math.min(o.maxSeconds, Math.max(30, left() - 30)));
      // The restarted nodes' CPU is all theirs since they were spawned (start-up included).
      const stormCpu = cpuSince(cpuBeforeStorm, back.seconds, 0);
      await sleep(1000);
      const redisAfterStorm = await redisCounters(redis.port);
      const pgAfterStorm = await postgresTransactions(databaseUrl);
      progress(`cluster storm: ${back.ready} reconnected in ${back.seconds.toFixed(1)} s; CPU s nodes ${stormCpu.nodes.toFixed(1)}, redis ${stormCpu.redis.toFixed(1)}, postgres ${stormCpu.postgres.toFixed(1)}, devices ${stormCpu.devices.toFixed(1)}, machine ${stormCpu.machine.toFixed(1)}`);
      const devicesPerNode = await Promise.all(nodes.map((n) => n.metric('shanshui_connected_devices')));
      const refusedBy: Record<string, number> = {};
      for (const byCode of await Promise.all(nodes.map((n) => n.metricBy('shanshui_mqtt_refused_total', 'code')))) {
        for (const [code, n] of Object.entries(byCode)) refusedBy[code] = (refusedBy[code] ?? 0) + n;
      }
      progress(`cluster storm: devices per node ${devicesPerNode.join(', ')}; refused by the nodes: ${Object.entries(refusedBy).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`);
      const stormFresh = Math.max(1, back.ready);
      storm = {
        reconnected: back.ready,
        seconds: back.seconds,
        connectsPerSec: back.ready / back.seconds,
        nodesReadySeconds,
        startCpuSeconds: sum(startCpu),
        stopSeconds,
        failedAttempts: back.failed - failedBefore,
        failedAfterReadyBy: Object.fromEntries(
          Object.entries(back.failedBy ?? {})
            .map(([cause, n]) => [cause, n - (failedByAtReady[cause] ?? 0)] as const)
            .filter(([, n]) => n > 0),
        ),
        cpu: stormCpu,
        redisCommandsPerConnect: (redisAfterStorm.commands - redisBeforeStorm.commands) / stormFresh,
        redisReadsPerConnect: (redisAfterStorm.reads - redisBeforeStorm.reads) / stormFresh,
        postgresTransactionsPerConnect: (pgAfterStorm - pgBeforeStorm) / stormFresh,
        stopKilled: stopSeconds >= graceSeconds,
        devicesPerNode,
        refusedBy,
      };
      } catch (err) {
        stormSkipped = `failed: ${err instanceof Error ? err.message : String(err)}`;
        progress(`cluster storm ${stormSkipped}`);
      }
    }
    let profile: ClusterBenchResult['profile'];
    if (o.cpuProfDir && storm) {
      // A profile is written at a clean stop.
      await Promise.all(nodes.splice(0).map((n) => n.stop(60_000)));
      const files = (await readdir(o.cpuProfDir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
      const summaries = await Promise.all(files.map(async (f) => ({ file: path.join(o.cpuProfDir!, f), summary: await summariseCpuProfile(path.join(o.cpuProfDir!, f), 25) })));
      profile = summaries.sort((a, b) => b.summary.totalMs * b.summary.busyPercent - a.summary.totalMs * a.summary.busyPercent)[0];
    }
    return {
      devices: o.devices,
      nodes: nodeCount,
      connectionCapPerNode: nodeFds - 1000,
      connectorProcesses: connectors.length,
      warmUpDevices: warmUp,
      connected: first.ready,
      connectSeconds: first.seconds,
      rssBeforeKiB: before.rss,
      rssAfterKiB: after.rss,
      rssAfterNoGcKiB,
      heapBeforeKiB: before.heap,
      heapAfterKiB: after.heap,
      perConnectionKiB: fresh > 0 ? grown / fresh : 0,
      heapPerConnectionKiB: fresh > 0 ? heapGrown / fresh : 0,
      totalRssKiB: sum(after.rss),
      redisCommandsPerConnect: fresh > 0 ? (redisAfter.commands - redisBefore.commands) / fresh : 0,
      redisReadsPerConnect: fresh > 0 ? (redisAfter.reads - redisBefore.reads) / fresh : 0,
      postgresTransactionsPerConnect: fresh > 0 ? (pgAfter - pgBefore) / fresh : 0,
      connectCpu,
      storm,
      ...(stormSkipped ? { stormSkipped } : {}),
      ...(profile ? { profile } : {}),
      totalSeconds: (performance.now() - runStarted) / 1000,
      cpuProbeMs: { start: probeStart, ...(probeStorm !== undefined ? { storm: probeStorm } : {}) },
      ...(first.firstError ? { firstError: first.firstError } : {}),
    };
  } finally {
    const teardown = performance.now();
    await Promise.all(connectors.map((c) => c.close().catch(() => undefined)));
    // Measured already: no need for a clean stop of thousands of sessions.
    await Promise.all(nodes.map((n) => n.stop(2000).catch(() => undefined)));
    await backends?.stop();
    await tmp.remove();
    progress(`cluster: torn down in ${((performance.now() - teardown) / 1000).toFixed(1)} s`);
  }
}

