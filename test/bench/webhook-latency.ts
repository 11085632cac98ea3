/**
 * `node test/bench/webhook-latency.ts` — how long a warning takes: from a device's MQTT
 * publish (QoS 1) to the signed webhook's arrival at a real HTTP receiver, p50/p99 over
 * `--alerts` alert events, while background devices keep the platform busy with QoS 1
 * readings (every default rule evaluating them). The platform, its influxd and the background
 * load generator are processes of their own; the alert device and the receiver live here, so
 * both ends of each measurement read the same clock. One alert at a time: the reading crosses
 * a temperature threshold rule (firing) or falls back (resolved), and the next publish waits
 * for that rule's webhook. Progress to stderr; a table, then one JSON line, to stdout. Bounded in time; stops
 * everything it starts. Prints, never asserts.
 *
 *   --alerts=200        alert events to measure
 *   --devices=200       background devices
 *   --window=8          unacknowledged publishes each background device keeps in flight (enough
 *                       that the paced rate, not the PUBACK round trip, sets the background's rate)
 *   --generator=light   the background's load generator: `light` (raw sockets, a fraction of
 *                       mqtt.js's CPU per message, so the 2 cores go to what is measured) or `mqtt.js`
 *   --rate=25000        background readings per second, paced (0: as fast as the windows allow)
 *   --max-seconds=45    cap on the measuring phase
 *   --cpu-prof=DIR      run the platform under --cpu-prof, its profile written to DIR
 *   --platform-node-args="--flag …"   extra Node flags for the platform process (e.g. GC settings to compare)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { ManagedInfluxd } from '@shanshui/ingest';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import type { LoadGeneratorKind } from './load-generator-process.ts';
import { CpuMeter } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import type { PublishResult } from './load-generator-protocol.ts';
import { PlatformProcess } from './platform-process.ts';
import { benchTempDir, startBenchInfluxd } from './bench-resources.ts';
import { machineInfo } from './machine-info.ts';
import { cpuProbeMs } from './cpu-probe.ts';
import { progress, sleep } from './progress.ts';
import { registerDevices } from './register-devices.ts';

export interface WebhookLatencyOptions {
  readonly alerts: number;
  readonly devices: number;
  readonly window: number;
  /** The background's load generator (default `light`). */
  readonly generator?: LoadGeneratorKind;
  /** Background readings per second, paced; 0: as fast as the windows allow. */
  readonly rate: number;
  readonly maxSeconds: number;
  /** Run the platform under --cpu-prof and move its profile here. */
  readonly cpuProfDir?: string;
  /** Extra Node flags for the platform process. */
  readonly platformNodeArgs?: readonly string[];
}

export interface WebhookLatencyResult {
  readonly alerts: number;
  readonly timedOut: number;
  readonly latencyMsP50: number;
  readonly latencyMsP90: number;
  readonly latencyMsP99: number;
  readonly latencyMsMax: number;
  readonly backgroundDevices: number;
  readonly backgroundWindow: number;
  readonly backgroundGenerator: LoadGeneratorKind;
  /** The machine's 1-minute load average when this run started measuring. */
  readonly loadAvg1: number;
  /** CPU ms of cpu-probe.ts's fixed work as the measuring began (the background running): the machine's speed then. */
  readonly cpuProbeMs: number;
  /** The paced target (0: unpaced). */
  readonly backgroundTargetPerSec: number;
  readonly backgroundReadingsPerSec: number;
  readonly backgroundErrors: number;
  /** The peer, same run and load: PUBACK latency of the background devices' QoS 1 readings (durable, no rule fired). */
  readonly backgroundAckMsP50: number;
  readonly backgroundAckMsP99: number;
  /** Cores each process used over the measuring phase (platform, influxd, generator, bench). */
  readonly cpu?: CpuReport;
  /** The platform's CPU profile, when asked for. */
  readonly cpuProfile?: string;
}

const SECRET = 'bench-webhook-secret-0123456789';
const DEPARTMENT = 'bench-alert';
const RULE_ID = 'bench-temperature';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A receiver that answers 200 at once and reports each delivery's arrival time (request fully read). */
async function startReceiver(onArrival: (atMs: number, ruleId: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      res.writeHead(200).end('ok');
      try {
        onArrival(at, String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert?: { rule?: { id?: string } } }).alert?.rule?.id));
      } catch {
        // not ours
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function api(p: PlatformProcess, method: string, url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(p.httpUrl + url, {
    method,
    headers: { authorization: `Bearer ${p.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export async function benchWebhookLatency(o: WebhookLatencyOptions): Promise<WebhookLatencyResult> {
  const tmp = await benchTempDir('shanshui-bench-webhook-');
  let influxd: ManagedInfluxd | undefined;
  let platform: PlatformProcess | undefined;
  let generator: LoadGeneratorProcess | undefined;
  let client: MqttClient | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  try {
    influxd = await startBenchInfluxd(path.join(tmp.dir, 'influxdb'));
    const profDir = path.join(tmp.dir, 'prof');
    platform = await PlatformProcess.start({
      dataDir: path.join(tmp.dir, 'platform'),
      influxUrl: influxd.url,
      logFile: path.join(tmp.dir, 'platform.log'),
      fdNeed: o.devices + 1024,
      config: { webhookAllowNetworks: '127.0.0.0/8' },
      nodeArgs: [...(o.platformNodeArgs ?? []), ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
    });
    progress(`webhook-latency: platform pid ${platform.pid}, influxd pid ${influxd.pid}`);

    let waiting: ((atMs: number) => void) | undefined;
    receiver = await startReceiver((at, ruleId) => {
      if (ruleId !== RULE_ID) return; // the default rules may warn about the same station too
      const w = waiting;
      waiting = undefined;
      w?.(at);
    });
    const sub = await api(platform, 'POST', '/api/v1/subscriptions', { name: '压测应急中心', url: receiver.url, secret: SECRET, filters: { departments: [DEPARTMENT] } });
    if (sub.status !== 201) throw new Error(`subscription: ${sub.status} ${JSON.stringify(sub.json)}`);
    const rule = await api(platform, 'POST', '/api/v1/rules', { id: RULE_ID, name: '气温压测', kind: 'threshold', metric: 'temperature', op: 'above', levels: { red: 40 }, scope: { department: DEPARTMENT } });
    if (rule.status !== 201) throw new Error(`rule: ${rule.status} ${JSON.stringify(rule.json)}`);
    const st = await api(platform, 'POST', '/api/v1/stations', { id: 'bench-alert-01', name: '压测告警站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: DEPARTMENT });
    if (st.status !== 201) throw new Error(`station: ${st.status} ${JSON.stringify(st.json)}`);
    client = await mqtt.connectAsync(platform.mqttUrl, { clientId: 'bench-alert-01', username: st.json.credentials.username, password: st.json.credentials.password, reconnectPeriod: 0, protocolVersion: 4 });

    const reg = await registerDevices({ httpUrl: platform.httpUrl, apiToken: platform.apiToken, prefix: 'wh', count: o.devices, concurrency: 16 });
    generator = await LoadGeneratorProcess.start('gen0', o.devices, o.generator ?? 'light');
    const c = await generator.connect({ url: platform.mqttUrl, devices: reg.devices, keepaliveSec: 60, subscribeDown: false, concurrency: 50 });
    if (c.failed > 0) throw new Error(`${c.failed} background devices did not connect: ${c.firstError}`);

    // Background load for the whole measuring phase (+ a warm-up), then it stops by its own cap.
    const warmupMs = 5000;
    const background = generator.publish({
      messagesPerDevice: 10_000_000,
      readingsPerMessage: 1,
      window: o.window,
      tsBase: Date.now() - 6 * 3_600_000,
      readingOffset: 0,
      seqStart: 1,
      maxSeconds: o.maxSeconds + warmupMs / 1000,
      ratePerSec: o.rate,
    });
    background.catch(() => undefined);
    progress(`webhook-latency: ${o.devices} background devices (${o.generator ?? 'light'} generator) publishing (window ${o.window}, ${o.rate > 0 ? `paced at ${o.rate} readings/s` : 'unpaced'}); warming up ${warmupMs / 1000} s`);
    await sleep(warmupMs);
    const loadAvg1 = loadavg()[0]!;
    const cpuProbe = cpuProbeMs();
    const cpuMeter = new CpuMeter({ platform: platform.pid, influxd: influxd.pid, generator: generator.pid, bench: process.pid });

    const latencies: number[] = [];
    let timedOut = 0;
    const deadline = Date.now() + o.maxSeconds * 1000;
    const t0 = Date.now() - 600_000;
    for (let i = 0; i < o.alerts && Date.now() < deadline; i++) {
      // Even: above 40 ℃ → alert.firing; odd: back to 20 → alert.resolved. Each publish is one webhook of this rule.
      const value = i % 2 === 0 ? 45 : 20;
      const arrived = new Promise<number | undefined>((resolve) => {
        waiting = resolve;
        setTimeout(() => resolve(undefined), 5000).unref();
      });
      const sentAt = performance.timeOrigin + performance.now();
      await client.publishAsync('shanshui/v1/bench-alert-01/up/readings', JSON.stringify({ seq: i + 1, ts: t0 + i * 1000, values: { temperature: value } }), { qos: 1 });
      const at = await arrived;
      if (at === undefined) {
        timedOut++;
        waiting = undefined;
        if (process.env['BENCH_DEBUG']) {
          const a = await fetch(`${platform.httpUrl}/api/v1/alerts?station=bench-alert-01&state=all`, { headers: { authorization: `Bearer ${platform.apiToken}` } }).then((r) => r.json());
          const d = await fetch(`${platform.httpUrl}/api/v1/webhook-deliveries`, { headers: { authorization: `Bearer ${platform.apiToken}` } }).then((r) => r.json());
          progress(`webhook-latency: alert ${i} (temperature ${value}) timed out ${JSON.stringify(a).slice(0, 1500)} ${JSON.stringify(d).slice(0, 800)}`);
        }
      } else latencies.push(at - sentAt);
      if ((i + 1) % 50 === 0) progress(`webhook-latency: ${i + 1} alerts, background acked ${generator.readingsAcked}`);
      await sleep(20);
    }
    const cpu = cpuMeter.stop();
    const published: PublishResult = await background;
    const seconds = (published.lastAckAt - published.firstPublishAt) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      alerts: latencies.length,
      timedOut,
      latencyMsP50: percentile(sorted, 50),
      latencyMsP90: percentile(sorted, 90),
      latencyMsP99: percentile(sorted, 99),
      latencyMsMax: sorted.at(-1) ?? NaN,
      backgroundDevices: o.devices,
      backgroundWindow: o.window,
      backgroundGenerator: o.generator ?? 'light',
      loadAvg1,
      cpuProbeMs: cpuProbe,
      backgroundTargetPerSec: o.rate,
      backgroundReadingsPerSec: seconds > 0 ? published.readings / seconds : 0,
      backgroundErrors: published.errors,
      backgroundAckMsP50: published.ackMsP50,
      backgroundAckMsP99: published.ackMsP99,
      cpu,
      ...(o.cpuProfDir ? { cpuProfile: await keepProfile(platform, profDir, o.cpuProfDir) } : {}),
    };
  } finally {
    await client?.endAsync(true).catch(() => undefined);
    await generator?.close().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await influxd?.stop().catch(() => undefined);
    await tmp.remove().catch(() => undefined);
  }
}

/** Stops the platform (V8 writes its profile at exit) and moves the profile out of the temp folder. */
async function keepProfile(platform: PlatformProcess, from: string, to: string): Promise<string | undefined> {
  await platform.stop();
  await mkdir(to, { recursive: true });
  const file = (await readdir(from).catch(() => [] as string[])).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return undefined;
  const dest = path.join(to, `webhook-platform-${Date.now()}.cpuprofile`);
  await rename(path.join(from, file), dest);
  return dest;
}

export function renderWebhookLatency(r: WebhookLatencyResult): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
  return [
    'Publish → webhook latency (QoS 1 device → rule → alert → signed webhook at a real HTTP receiver)',
    '',
    `| alerts | timed out | p50 ms | p90 ms | p99 ms | max ms | background devices | background readings/s | background PUBACK p50 / p99 ms |`,
    `|-------:|----------:|-------:|-------:|-------:|-------:|-------------------:|----------------------:|-------------------------------:|`,
    `| ${r.alerts} | ${r.timedOut} | ${f(r.latencyMsP50)} | ${f(r.latencyMsP90)} | ${f(r.latencyMsP99)} | ${f(r.latencyMsMax)} | ${r.backgroundDevices} | ${Math.round(r.backgroundReadingsPerSec)}${r.backgroundTargetPerSec > 0 ? ` (paced at ${r.backgroundTargetPerSec})` : ''} | ${f(r.backgroundAckMsP50)} / ${f(r.backgroundAckMsP99)} |`,
  ].join('\n');
}

const USAGE = `usage: node test/bench/webhook-latency.ts [options]
  Publish → signed webhook latency (p50/p99) under background QoS 1 load; prints, never asserts.
  --alerts=200        alert events to measure
  --devices=200       background devices
  --window=8          unacknowledged publishes each background device keeps in flight
  --generator=light   the background's load generator: light or mqtt.js
  --rate=25000        background readings per second, paced (0: as fast as the windows allow)
  --max-seconds=45    cap on the measuring phase
  --cpu-prof=DIR      run the platform under --cpu-prof, its profile written to DIR
  --platform-node-args="--flag …"   extra Node flags for the platform process
  -h, --help          this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      alerts: { type: 'string', default: '200' },
      devices: { type: 'string', default: '200' },
      window: { type: 'string', default: '8' },
      generator: { type: 'string', default: 'light' },
      rate: { type: 'string', default: '25000' },
      'max-seconds': { type: 'string', default: '45' },
      'cpu-prof': { type: 'string' },
      'platform-node-args': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const o: WebhookLatencyOptions = {
    alerts: Number(values.alerts),
    devices: Number(values.devices),
    window: Number(values.window),
    generator: values.generator === 'mqtt.js' ? 'mqtt.js' : 'light',
    rate: Number(values.rate),
    maxSeconds: Number(values['max-seconds']),
    ...(values['cpu-prof'] ? { cpuProfDir: path.resolve(values['cpu-prof']) } : {}),
    ...(values['platform-node-args'] ? { platformNodeArgs: values['platform-node-args'].split(/\s+/).filter(Boolean) } : {}),
  };
  const result = await benchWebhookLatency(o);
  process.stdout.write(`${renderWebhookLatency(result)}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'webhook-latency', machine: machineInfo(), ...o, ...result })}\n`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`webhook-latency failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
