/**
 * `npm run bench` — how fast and how lean the platform is, against its peers, in one run:
 *   1. raw InfluxDB write rate (the peer: what influxd takes when fed directly),
 *   2. end-to-end rate: real MQTT devices → platform → spool → InfluxDB, until visible,
 *      one reading per message and batches of ten; ratio to (1),
 *   3. resident memory of idle connected devices, platform vs Mosquitto,
 *   4. publish → signed webhook latency (p50/p99) while background devices load the platform at a
 *      paced 25,000 readings/s, 3 runs (issue #16's rules section of docs/benchmarks.md),
 *   5. the edge agent (its own process): RSS idle and under a simulated high-rate source against a
 *      bare mqtt.js client doing the same, and its backlog drain rate after an outage against
 *      that client publishing the same backlog in the same message sizes to the same platform,
 *   6. the 一张图 in chromium: 10,000 stations load and pan (frame times, long frames) against
 *      the same page with 1,000 (bench-map.ts; its own section of docs/benchmarks.md),
 *   7. issue #16 (`aedes`): a bare aedes broker loaded as the platform is, its CPU per message the
 *      peer of the platform's CPU per stored reading; raw, e2e and aedes are run three times
 *      (report-issue16.ts; its own section of docs/benchmarks.md).
 *   8. #16 accept worker threads: (2) at one reading per message with workers off, 1 and 2,
 *      then off and 2 with InfluxDB elsewhere (a sink, influx-sink.ts: room on the cores),
 *      three rounds, every process's cores (bench-workers.ts; its own section).
 * Progress goes to stderr; the table, then one JSON line, to stdout. Benchmarks print; they
 * never assert timings.
 *
 * The platform runs as its own process (`node ingest/src/main.ts`, as `npm start` runs it) and the
 * MQTT devices in load-generator processes: on two cores an in-process platform would share its
 * event loop with the load, and /proc could not tell its CPU and memory apart from the bench's.
 *
 *   --quick     about a minute (smaller counts; 1,000 idle devices instead of 10,000)
 *   --write     also write docs/benchmarks.md
 *   --cpu-prof  run the end-to-end platform (and the cluster's restarted nodes) under --cpu-prof and summarise what dominates
 *   --only=raw,e2e,idle,webhook,agent,cluster,throughput,pgops,map,aedes,workers   run some parts;
 *               `--only=raw,e2e,aedes --write` writes only the #16 section, `--only=cluster`, `throughput`,
 *               `pgops`, `map`, `agent` or `workers` only their own sections (the rest of docs/benchmarks.md
 *               stays as it is)
 *   --cluster-devices=N   the cluster part with N devices (default 100,000; at least two nodes)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@shanshui/ingest';
import { checkLineMatchesPlatform } from './air-reading.ts';
import { benchE2e } from './bench-e2e.ts';
import { WORKERS_SECTION_END, WORKERS_SECTION_START, benchWorkers, keepWorkersNotes, renderWorkersMarkdown, spliceWorkersSection } from './bench-workers.ts';
import type { WorkersBenchOptions } from './bench-workers.ts';
import type { E2eOptions } from './bench-e2e.ts';
import { benchIdleMemory } from './bench-idle-memory.ts';
import type { IdleMemoryOptions } from './bench-idle-memory.ts';
import { benchRawInflux } from './bench-influx-raw.ts';
import type { RawInfluxOptions } from './bench-influx-raw.ts';
import { benchWebhookLatency } from './webhook-latency.ts';
import type { WebhookLatencyOptions } from './webhook-latency.ts';
import { benchAgent } from './bench-agent.ts';
import type { AgentBenchOptions } from './bench-agent.ts';
import { summariseCpuProfile } from './cpu-profile-summary.ts';
import { benchMap, renderMapMarkdown, spliceMapSection } from './bench-map.ts';
import { renderAgentSection, spliceAgentSection } from './agent-section.ts';
import { benchCluster } from './bench-cluster.ts';
import type { ClusterBenchOptions } from './bench-cluster.ts';
import { renderCluster, replaceClusterSection } from './report-cluster.ts';
import { renderThroughput, replaceThroughputSection } from './report-cluster-throughput.ts';
import { benchClusterThroughput } from './bench-cluster-throughput.ts';
import { benchPostgresOps } from './bench-postgres-ops.ts';
import type { PostgresOpsOptions } from './bench-postgres-ops.ts';
import { renderPostgresOps, replacePostgresOpsSection } from './report-postgres-ops.ts';
import type { ThroughputOptions } from './bench-cluster-throughput.ts';
import { fdLimits } from './fd-limit.ts';
import { benchAedes } from './bench-aedes.ts';
import type { AedesBenchOptions } from './bench-aedes.ts';
import { keptIssue16, renderIssue16, replaceIssue16Section } from './report-issue16.ts';
import type { Issue16Run } from './report-issue16.ts';
import { machineInfo } from './machine-info.ts';
import { progress } from './progress.ts';
import { renderMarkdown, renderText } from './report.ts';
import { renderRulesSection, replaceRulesSection } from './report-rules.ts';
import { benchRulesFlush } from './bench-rules-flush.ts';
import type { BenchResults } from './report.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The drain's default write lanes (SHANSHUI_INFLUX_WRITE_LANES): the POSTs in flight of the like-for-like raw peer. */
const DRAIN_WRITE_LANES = loadConfig({}).influx.writeLanes;
const PARTS = ['raw', 'e2e', 'idle', 'webhook', 'agent', 'cluster', 'throughput', 'pgops', 'map', 'aedes', 'workers'] as const;
/** Runs of raw + e2e + aedes for the #16 figures (ratios from one run each, reported with their spread). */
const ISSUE16_RUNS = 3;
/** Runs of the agent part in a full run (each on a fresh platform): its ratios are reported as a spread. */
const AGENT_RUNS = 3;
/** Runs of the webhook part in a full run (each on a fresh platform): issue #16's section gives their spread. */
const WEBHOOK_RUNS = 3;
/** Rounds of the cluster throughput part (1 node and 2 nodes each): its section gives their spread. */
const THROUGHPUT_ROUNDS = 3;
type Part = (typeof PARTS)[number];

interface Plan {
  readonly raw: RawInfluxOptions;
  readonly e2e: E2eOptions;
  readonly idle: IdleMemoryOptions;
  readonly webhook: WebhookLatencyOptions;
  readonly agent: AgentBenchOptions;
  readonly cluster: ClusterBenchOptions;
  readonly throughput: ThroughputOptions;
  readonly aedes: AedesBenchOptions;
  readonly pgops: PostgresOpsOptions;
  readonly workers: WorkersBenchOptions;
}

/** Counts per mode; each part is also capped in time, so a slow or loaded machine still finishes. */
function plan(quick: boolean, cpuProfDir: string | undefined): Plan {
  const devices = 200;
  return quick
    ? {
        raw: { readings: 200_000, stations: devices, linesPerPost: 5000, maxSeconds: 10 },
        e2e: {
          devices,
          window: 20,
          generators: 1,
          variants: [
            { name: '1 reading/msg', readingsPerMessage: 1, messagesPerDevice: 100, maxSeconds: 12 },
            { name: '10 readings/msg', readingsPerMessage: 10, messagesPerDevice: 30, maxSeconds: 12 },
          ],
          ...(cpuProfDir ? { cpuProfDir } : {}),
        },
        idle: { devices: 1000, generators: 2, keepaliveSec: 1200, mosquitto: true },
        webhook: { alerts: 60, devices, window: 8, generator: 'light', rate: 25_000, maxSeconds: 15 },
        agent: { idleSeconds: 5, loadSeconds: 8, loadIntervalSec: 0.002, backlogReadings: 20_000 },
        cluster: { devices: 4000, perProcess: 2000, maxSeconds: 120, ...(cpuProfDir ? { cpuProfDir } : {}) },
        throughput: { devices: 200, messagesPerDevice: 100, window: 20, maxSeconds: 15 },
        aedes: { devices, window: 20, messagesPerDevice: 100, maxSeconds: 12 },
        pgops: { devices: 50, messages: 5, intervalMs: 3000 },
        workers: { rounds: 3, devices, window: 20, messagesPerDevice: 100, maxSeconds: 12, generator: 'light' },
      }
    : {
        raw: { readings: 1_000_000, stations: devices, linesPerPost: 5000, maxSeconds: 40 },
        e2e: {
          devices,
          window: 20,
          generators: 1,
          variants: [
            { name: '1 reading/msg', readingsPerMessage: 1, messagesPerDevice: 1000, maxSeconds: 45 },
            { name: '10 readings/msg', readingsPerMessage: 10, messagesPerDevice: 150, maxSeconds: 45 },
          ],
          ...(cpuProfDir ? { cpuProfDir } : {}),
        },
        idle: { devices: 10_000, generators: 2, keepaliveSec: 1200, mosquitto: true },
        // Window 8: the paced 25,000 readings/s, not the PUBACK round trip, sets the background's rate (window 2 reached 13–15k).
        webhook: { alerts: 200, devices, window: 8, generator: 'light', rate: 25_000, maxSeconds: 45 },
        agent: { idleSeconds: 10, loadSeconds: 20, loadIntervalSec: 0.002, backlogReadings: 100_000 },
        // 100,000 devices: 20,000 open files per process here, so 6 nodes and 6 device processes.
        cluster: { devices: 100_000, perProcess: 17_000, maxSeconds: 300, ...(cpuProfDir ? { cpuProfDir } : {}) },
        throughput: { devices: 200, messagesPerDevice: 300, window: 20, maxSeconds: 40 },
        // The same load as the e2e part's 1 reading/msg variant.
        aedes: { devices, window: 20, messagesPerDevice: 1000, maxSeconds: 45 },
        pgops: { devices: 100, messages: 10, intervalMs: 6000 },
        // The light generator's load goes fast: 1,500 messages per device keep each run several seconds long on a quiet machine.
        workers: { rounds: 3, devices, window: 20, messagesPerDevice: 1500, maxSeconds: 40, generator: 'light' },
      };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      only: { type: 'string' },
      'cluster-devices': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: npm run bench -- [--quick] [--write] [--cpu-prof] [--only=${PARTS.join(',')}] [--cluster-devices=N]\n`);
    return;
  }
  const only = new Set<Part>(
    (values.only ?? PARTS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter((s): s is Part => {
        if ((PARTS as readonly string[]).includes(s)) return true;
        throw new Error(`--only: unknown part "${s}" (${PARTS.join(', ')})`);
      }),
  );
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`Node ${process.version}: the platform needs Node 24 (npm run bench, or node_modules/.bin/node test/bench/run.ts)`);
  // The raw influxd peer writes the bench's own line protocol: it must match the platform's.
  if (only.has('raw')) checkLineMatchesPlatform();

  const started = performance.now();
  const machine = machineInfo();
  const quick = values.quick;
  const cpuProfDir = values['cpu-prof'] ? path.join(os.tmpdir(), `shanshui-bench-prof-${Date.now()}`) : undefined;
  const planned = plan(quick, cpuProfDir);
  // --cluster-devices=N: a smaller (or larger) cluster run; at least two nodes.
  const clusterDevices = values['cluster-devices'] ? Number(values['cluster-devices']) : undefined;
  const p: Plan = clusterDevices ? { ...planned, cluster: { ...planned.cluster, devices: clusterDevices, perProcess: Math.min(planned.cluster.perProcess, Math.ceil(clusterDevices / 2)) } } : planned;
  const fd = fdLimits();
  progress(`${quick ? 'quick' : 'full'} run on ${machine.cores} cores, load average ${machine.loadAvgStart}, CPU probe ${machine.cpuProbeMs} ms; open files soft ${fd.soft} hard ${fd.hard}`);
  if (machine.loadAvgStart > machine.cores * 0.5) progress(`note: the machine is busy (load ${machine.loadAvgStart} on ${machine.cores} cores) — the CPU notes show how much was not ours`);

  const failures: string[] = [];
  const attempt = async <T>(part: Part, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(part)) return undefined;
    try {
      return await fn();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      progress(`${part} FAILED: ${msg}`);
      failures.push(`${part}: ${msg}`);
      return undefined;
    }
  };
  const raw = await attempt('raw', () => benchRawInflux(p.raw));
  if (raw) progress(`raw influxd: ${Math.round(raw.readingsPerSec)} readings/s`);
  const e2e = await attempt('e2e', () => benchE2e(p.e2e));
  // #16: raw, e2e and the bare aedes peer, run after run (the first reuses the runs above unless
  // the e2e platform ran under --cpu-prof, which would inflate its CPU figures).
  const issue16: Issue16Run[] = [];
  if (only.has('aedes')) {
    for (let i = 0; i < (quick ? 1 : ISSUE16_RUNS); i++) {
      progress(`#16 run ${i + 1}`);
      const r = i === 0 ? raw : await attempt('raw', () => benchRawInflux(p.raw));
      // The same peer with the drain's default write lanes as POSTs in flight: like for like with the platform.
      const rl = await attempt('raw', () => benchRawInflux({ ...p.raw, postsInFlight: DRAIN_WRITE_LANES }));
      const { cpuProfDir: _prof, ...unprofiled } = p.e2e;
      const e = i === 0 && !cpuProfDir ? e2e : await attempt('e2e', () => benchE2e(unprofiled));
      const a = await attempt('aedes', () => benchAedes(p.aedes));
      issue16.push({ ...(r ? { raw: r } : {}), ...(rl ? { rawLanes: rl } : {}), ...(e ? { e2e: e } : {}), ...(a ? { aedes: a } : {}) });
    }
  }
  const idle = await attempt('idle', () => benchIdleMemory(p.idle));
  const webhookRuns: Array<Awaited<ReturnType<typeof benchWebhookLatency>>> = [];
  for (let i = 0; i < (quick ? 1 : WEBHOOK_RUNS); i++) {
    const run = await attempt('webhook', () => benchWebhookLatency(p.webhook));
    if (run) progress(`webhook run ${i + 1}: p50 ${run.latencyMsP50.toFixed(1)} ms, p99 ${run.latencyMsP99.toFixed(1)} ms over ${run.alerts} alerts, background ${Math.round(run.backgroundReadingsPerSec)} readings/s`);
    if (run) webhookRuns.push(run);
  }
  const webhook = webhookRuns[0];
  // The rules' own CPU per message, flushed against the inline path they replaced (in-process, issue #16's section).
  const rulesFlush = await attempt('webhook', () => benchRulesFlush({ messages: quick ? 20_000 : 100_000, stations: 200, perTurn: 200, rounds: 3 }));
  // --cpu-prof: one more run under the profiler (not among the figures: the profiler slows it).
  const webhookProfiled = cpuProfDir && only.has('webhook') ? await attempt('webhook', () => benchWebhookLatency({ ...p.webhook, cpuProfDir })) : undefined;
  const webhookProfile = webhookProfiled?.cpuProfile ? await summariseCpuProfile(webhookProfiled.cpuProfile).catch(() => undefined) : undefined;
  const agentRuns: NonNullable<BenchResults['agentRuns']>[number][] = [];
  for (let i = 0; i < (quick ? 1 : AGENT_RUNS); i++) {
    const run = await attempt('agent', () => benchAgent(p.agent));
    if (run) agentRuns.push(run);
  }
  const agent = agentRuns[0];
  const cluster = await attempt('cluster', () => benchCluster(p.cluster));
  const throughput: Awaited<ReturnType<typeof benchClusterThroughput>>[] = [];
  for (let round = 1; round <= (quick ? 1 : THROUGHPUT_ROUNDS); round++) {
    // Turn-about: a machine that gets busier over the rounds favours neither.
    for (const n of round % 2 === 1 ? [1, 2] : [2, 1]) {
      const r = await attempt('throughput', () => benchClusterThroughput(n, p.throughput, round));
      if (r) throughput.push(r);
    }
  }
  const pgops = await attempt('pgops', () => benchPostgresOps(p.pgops));
  if (pgops) progress(`pgops: ${pgops.transactionsPerReading.toFixed(3)} PostgreSQL transactions and ${pgops.rowsPerReading.toFixed(3)} rows per reading`);
  const workers = await attempt('workers', () => benchWorkers(p.workers));
  const map = await attempt('map', () => benchMap(quick ? { stations: 3000, peerStations: 300, runs: 3, panFrames: 60 } : {}));

  const ratios: Record<string, number> = {};
  if (raw && e2e) for (const v of e2e.variants) ratios[v.name] = v.readingsPerSec / raw.readingsPerSec;
  let profile: BenchResults['profile'];
  if (e2e && e2e.cpuProfiles.length > 0) {
    const summary = await summariseCpuProfile(e2e.cpuProfiles[0]!).catch((err: unknown) => {
      failures.push(`cpu profile: ${String(err)}`);
      return undefined;
    });
    if (summary) profile = { files: e2e.cpuProfiles, summary };
  } else if (cpuProfDir && e2e) {
    failures.push('cpu profile: the platform wrote none');
  }

  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    machine,
    loadAvgEnd: Math.round(os.loadavg()[0]! * 100) / 100,
    seconds: (performance.now() - started) / 1000,
    ...(raw ? { raw } : {}),
    ...(e2e ? { e2e } : {}),
    ...(idle ? { idle } : {}),
    ...(webhook ? { webhook } : {}),
    ...(agent ? { agent, agentRuns } : {}),
    ...(map ? { map } : {}),
    ratios,
    ...(profile ? { profile } : {}),
    failures,
  };
  process.stdout.write(`${renderText(results)}\n`);
  if (webhookRuns.length > 0) process.stdout.write(`\n${renderRulesSection(webhookRuns, machine, rulesFlush, webhookProfile)}\n`);
  if (cluster) process.stdout.write(`\n${renderCluster(cluster)}\n`);
  if (throughput.length > 0) process.stdout.write(`\n${renderThroughput(throughput)}\n`);
  if (pgops) process.stdout.write(`\n${renderPostgresOps(pgops)}\n`);
  if (map) process.stdout.write(`\n${renderMapMarkdown(map)}\n`);
  const issue16Section = issue16.length > 0 ? renderIssue16(issue16, machine.date, profile?.summary) : undefined;
  if (issue16Section) process.stdout.write(`\n${issue16Section}\n`);
  if (workers) process.stdout.write(`\n${renderWorkersMarkdown(workers, machine.cores)}\n`);
  const low = Object.entries(ratios).filter(([, r]) => r < 0.5);
  if (low.length > 0 && !profile) process.stdout.write(`\ne2e/raw below 0.5 (${low.map(([k, r]) => `${k}: ${r.toFixed(2)}`).join(', ')}): run with --cpu-prof to see what the platform spends its CPU on\n`);
  if (values.write) {
    const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
    await mkdir(path.dirname(file), { recursive: true });
    // Parts run alone (cluster, throughput, pgops, map, agent, workers): their sections are replaced in the file as it stands; others keep theirs.
    // So are the #16 runs (raw, e2e, aedes and nothing else of the main table), and the webhook part (its own #16 rules section).
    const alone =
      [...only].every((part) => part === 'cluster' || part === 'throughput' || part === 'pgops' || part === 'map' || part === 'webhook' || part === 'agent' || part === 'workers') ||
      (only.has('aedes') && [...only].every((part) => part === 'raw' || part === 'e2e' || part === 'aedes' || part === 'cluster' || part === 'throughput' || part === 'pgops' || part === 'map' || part === 'webhook' || part === 'workers'));
    const previous = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
    let doc = alone ? previous : renderMarkdown(results);
    const kept16 = keptIssue16(previous);
    if (!alone && kept16) doc = replaceIssue16Section(doc, kept16);
    if (issue16Section) doc = replaceIssue16Section(doc, issue16Section);
    if (cluster) doc = replaceClusterSection(doc, renderCluster(cluster));
    if (throughput.length > 0) doc = replaceThroughputSection(doc, renderThroughput(throughput));
    const keptPgops = /<!-- pgops:begin -->[\s\S]*<!-- pgops:end -->/.exec(previous)?.[0];
    if (pgops) doc = replacePostgresOpsSection(doc, renderPostgresOps(pgops));
    else if (keptPgops && !doc.includes('<!-- pgops:begin -->')) doc = replacePostgresOpsSection(doc, keptPgops);
    const keptMap = /<!-- map-bench -->[\s\S]*<!-- \/map-bench -->\n/.exec(previous)?.[0];
    const keptRules = /<!-- rules-16:begin -->[\s\S]*<!-- rules-16:end -->/.exec(previous)?.[0];
    if (webhookRuns.length > 0) doc = replaceRulesSection(doc, renderRulesSection(webhookRuns, machine, rulesFlush, webhookProfile));
    else if (keptRules && !doc.includes('<!-- rules-16:begin -->')) doc = replaceRulesSection(doc, keptRules);
    if (map) doc = spliceMapSection(doc, renderMapMarkdown(map, `Measured ${machine.date} on ${machine.cores} cores, load average ${machine.loadAvgStart} at start and ${results.loadAvgEnd} at the end${machine.loadAvgStart > machine.cores ? ' (other work on the machine: absolute frame times are the machine\'s, the ratios and the live delay are the figures)' : ''}`));
    else if (keptMap && !doc.includes('<!-- map-bench -->')) doc = `${doc.trimEnd()}\n\n${keptMap}`;
    if (alone && agentRuns.length > 0) doc = spliceAgentSection(doc, renderAgentSection(agentRuns, results.machine.date, `${results.machine.loadAvgStart} at start, ${results.loadAvgEnd} at the end`));
    const keptWorkers = new RegExp(`${WORKERS_SECTION_START}[\\s\\S]*${WORKERS_SECTION_END}\\n`).exec(previous)?.[0];
    if (workers) doc = spliceWorkersSection(doc, renderWorkersMarkdown(workers, machine.cores));
    else if (keptWorkers && !doc.includes(WORKERS_SECTION_START)) doc = `${doc.trimEnd()}\n\n${keptWorkers}`;
    doc = keepWorkersNotes(previous, doc);
    await writeFile(file, doc);
    progress(`wrote ${path.relative(REPO_ROOT, file)}`);
  }
  process.stdout.write(`\n${JSON.stringify({ ...results, ...(cluster ? { cluster } : {}), ...(issue16.length > 0 ? { issue16 } : {}), ...(webhookRuns.length > 1 ? { webhookRuns } : {}), ...(rulesFlush ? { rulesFlush } : {}) })}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

// Ctrl-C: exit through 'exit' so every child (platform, influxd, generators, mosquitto) is killed and temp folders go.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
