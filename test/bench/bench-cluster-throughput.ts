/**
 * Part 6b — throughput of one node against two on the same PostgreSQL, Redis and influxd:
 * 200 devices (the light load generator — hand-encoded packets on raw sockets, one process, so
 * the devices leave the two cores to the nodes) publish QoS 1 readings, one per message, split
 * evenly over the nodes; readings/s from the first publish until InfluxDB shows every
 * acknowledged one, the nodes' CPU per stored reading, and every process's cores.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InfluxHttp, freePort } from '@shanshui/ingest';
import { PlatformProcess } from './platform-process.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import { CpuMeter } from './proc-stats.ts';
import { descendantPids } from './process-tree.ts';
import { benchTempDir } from './bench-resources.ts';
import { startClusterBackends } from './cluster-backends.ts';
import type { ClusterBackends } from './cluster-backends.ts';
import { registerDevices } from './register-devices.ts';
import { progress, sleep } from './progress.ts';

export interface ThroughputOptions {
  readonly devices: number;
  readonly messagesPerDevice: number;
  readonly window: number;
  readonly maxSeconds: number;
}

export interface ThroughputResult {
  readonly nodes: number;
  readonly readings: number;
  readonly readingsPerSec: number;
  /** Nodes' CPU per stored reading, µs. */
  readonly cpuMicrosPerReading: number;
  readonly nodeCores: number;
  /** Cores of each process over the run: node1…, generator, influxd, redis, postgres (postmaster and its backends). */
  readonly cores: Readonly<Record<string, number>>;
  readonly machineCores: number;
  /** The machine minus all of the above: other people's work. */
  readonly otherCores: number;
  readonly round: number;
}

export async function benchClusterThroughput(nodeCount: number, o: ThroughputOptions, round = 1): Promise<ThroughputResult> {
  const tmp = await benchTempDir(`shanshui-bench-tput${nodeCount}-`);
  const nodes: PlatformProcess[] = [];
  const generators: LoadGeneratorProcess[] = [];
  let backends: ClusterBackends | undefined;
  try {
    backends = await startClusterBackends(tmp.dir);
    const { redis, influxd, databaseUrl } = backends;
    const secretKey = randomBytes(32).toString('hex');
    for (let i = 0; i < nodeCount; i++) {
      nodes.push(
        await PlatformProcess.start({
          dataDir: path.join(tmp.dir, `node-${i + 1}`),
          influxUrl: influxd.url,
          logFile: path.join(tmp.dir, `node-${i + 1}.log`),
          mqttPort: await freePort(),
          httpPort: await freePort(),
          config: { databaseUrl, redisUrl: redis.url, secretKey, nodeId: `node-${i + 1}`, defaultRules: false },
        }),
      );
    }
    const reg = await registerDevices({ httpUrl: nodes[0]!.httpUrl, apiToken: nodes[0]!.apiToken, prefix: `tp${nodeCount}`, count: o.devices, concurrency: 16 });
    const half = Math.ceil(reg.devices.length / 2);
    // One light generator: each half of the devices connects to its node (both to the one node when there is one).
    const gen = await LoadGeneratorProcess.start('gen0', reg.devices.length, 'light');
    generators.push(gen);
    for (let g = 0; g < 2; g++) {
      const r = await gen.connect({ url: `mqtt://127.0.0.1:${nodes[g % nodeCount]!.mqttPort}`, devices: reg.devices.slice(g * half, (g + 1) * half), keepaliveSec: 600, subscribeDown: false, concurrency: 50 });
      if (r.failed > 0) throw new Error(`devices did not connect: ${r.firstError}`);
    }
    const influx = new InfluxHttp({ url: influxd.url, database: 'shanshui', ...(influxd.user ? { username: influxd.user.username, password: influxd.user.password } : {}) });
    const count = async (): Promise<number> => {
      const series = await influx.query('SELECT count(pm25) FROM air').catch(() => []);
      return Number(series[0]?.values[0]?.[1] ?? 0);
    };
    const cpu = new CpuMeter({ generator: gen.pid });
    nodes.forEach((n, i) => cpu.add(`node${i + 1}`, n.pid));
    if (influxd.pid) cpu.add('influxd', influxd.pid);
    if (redis.process.pid) cpu.add('redis', redis.process.pid);
    const postmaster = backends.postgres.process.pid;
    const pgPids = postmaster ? [postmaster, ...descendantPids(postmaster)] : [];
    for (const pid of pgPids) cpu.add(`pg${pid}`, pid);
    const started = performance.now();
    const results = await Promise.all(
      generators.map((g) => g.publish({ messagesPerDevice: o.messagesPerDevice, readingsPerMessage: 1, window: o.window, tsBase: Date.now() - 86_400_000, readingOffset: 0, seqStart: 1, maxSeconds: o.maxSeconds })),
    );
    const acked = results.reduce((n, r) => n + r.readings - r.errors, 0);
    const deadline = Date.now() + 120_000;
    while ((await count()) < acked && Date.now() < deadline) await sleep(200);
    const seconds = (performance.now() - started) / 1000;
    const report = cpu.stop();
    const cores: Record<string, number> = {};
    for (const [name, c] of Object.entries(report.cores)) {
      const key = name.startsWith('pg') ? 'postgres' : name;
      cores[key] = (cores[key] ?? 0) + c;
    }
    const nodeCores = nodes.reduce((n, _, i) => n + (cores[`node${i + 1}`] ?? 0), 0);
    const stored = await count();
    progress(
      `throughput [${nodeCount} node(s)]: ${stored} readings in ${seconds.toFixed(1)} s = ${Math.round(stored / seconds)}/s; cores: ${Object.entries(cores)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}, other ${report.otherCores.toFixed(2)}`,
    );
    return {
      nodes: nodeCount,
      readings: stored,
      readingsPerSec: stored / seconds,
      cpuMicrosPerReading: (nodeCores * seconds * 1e6) / Math.max(1, stored),
      nodeCores,
      cores,
      machineCores: report.machineCores,
      otherCores: report.otherCores,
      round,
    };
  } finally {
    for (const g of generators) await g.close().catch(() => undefined);
    for (const n of nodes) await n.stop().catch(() => undefined);
    await backends?.stop();
    await tmp.remove();
  }
}
