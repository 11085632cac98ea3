/** Bench support: the results as a text table (stdout), as Markdown (docs/benchmarks.md), and as one JSON line. */
import type { MapBenchResult } from './bench-map.ts';
import type { RawInfluxResult } from './bench-influx-raw.ts';
import type { E2eResult } from './bench-e2e.ts';
import type { IdleBrokerResult, IdleMemoryResult } from './bench-idle-memory.ts';
import type { CpuReport } from './proc-stats.ts';
import type { MachineInfo } from './machine-info.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';
import type { WebhookLatencyResult } from './webhook-latency.ts';
import type { AgentBenchResult } from './bench-agent.ts';

export interface BenchResults {
  readonly mode: 'quick' | 'full';
  readonly machine: MachineInfo;
  readonly loadAvgEnd: number;
  readonly seconds: number;
  readonly raw?: RawInfluxResult;
  readonly e2e?: E2eResult;
  readonly idle?: IdleMemoryResult;
  readonly webhook?: WebhookLatencyResult;
  readonly agent?: AgentBenchResult;
  /** The 一张图 in chromium (bench-map.ts; rendered in its own section). */
  readonly map?: MapBenchResult;
  /** Every run of the agent part (the first is `agent`); ratios are given as their spread. */
  readonly agentRuns?: readonly AgentBenchResult[];
  /** e2e readings/s ÷ raw readings/s, per variant. */
  readonly ratios: Readonly<Record<string, number>>;
  readonly profile?: { readonly files: readonly string[]; readonly summary: ProfileSummary };
  readonly failures: readonly string[];
}

type Row = readonly [string, string, string];

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const mib = (kib: number): string => `${f1(kib / 1024)} MiB`;

function cpuText(c: CpuReport): string {
  const ours = Object.entries(c.cores)
    .map(([k, v]) => `${k} ${f2(v)}`)
    .join(', ');
  const busy = c.otherCores > 0.5 ? ' (shared machine busy: rates understate)' : '';
  return `CPU cores: ${ours}; others on the machine ${f2(c.otherCores)}${busy}`;
}

function idleRows(label: string, r: IdleBrokerResult): Row[] {
  return [
    [
      `3 ${label}: RSS per idle device`,
      `${f1(r.perDeviceKiB)} KiB`,
      `${int(r.connected)} connected (${r.failed} failed; ${int(r.measured)} in ${f1(r.connectSeconds)} s after ${int(r.connected - r.measured)} warm-up ones), each subscribed to its own down/#`,
    ],
    [
      `  ${label}: RSS`,
      `${mib(r.rssAfterKiB)}`,
      `start ${mib(r.rssStartKiB)} → devices registered, warm-up connected ${mib(r.rssBeforeKiB)} → all connected ${mib(r.rssAfterKiB)}${r.heapAfterKiB !== undefined ? ` (after a full GC; ${mib(r.rssAfterNoGcKiB)} just before it)` : ''}; clients' RSS ${mib(r.generatorRssKiB)}`,
    ],
    ...(r.heapBeforeKiB !== undefined && r.heapAfterKiB !== undefined
      ? [['', '', `live V8 heap ${mib(r.heapBeforeKiB)} → ${mib(r.heapAfterKiB)} = ${f1((r.heapAfterKiB - r.heapBeforeKiB) / Math.max(1, r.measured))} KiB per device`] as const]
      : []),
    ['', '', cpuText(r.cpu)],
  ];
}

export function rows(r: BenchResults): Row[] {
  const out: Row[] = [];
  if (r.raw) {
    const x = r.raw;
    out.push([
      '1 raw InfluxDB write (peer)',
      `${int(x.readingsPerSec)} readings/s`,
      `${int(x.readings)} readings, ${x.posts} POSTs of ≤5000 lines, ${x.postsInFlight} in flight (${int(x.bytesPerLine)} B/line), POST p50 ${f1(x.postMsP50)} ms p99 ${f1(x.postMsP99)} ms${x.capped ? ', CAPPED by time' : ''}`,
    ]);
    out.push(['', '', `${cpuText(x.cpu)}; influxd CPU ${f1(x.influxdCpuUsPerReading)} µs per reading`]);
  }
  if (r.e2e) {
    for (const v of r.e2e.variants) {
      const ratio = r.ratios[v.name];
      out.push([
        `2 end-to-end, ${v.name}`,
        `${int(v.readingsPerSec)} readings/s`,
        `${int(v.readings)} readings (${int(v.messages)} msgs) from ${r.e2e.devices} devices, window ${r.e2e.window}; first publish → all visible in ${f1(v.seconds)} s${v.complete ? '' : ' (INCOMPLETE)'}${v.capped ? ' (CAPPED by time)' : ''}${v.errors ? `, ${v.errors} errors: ${v.firstError}` : ''}`,
      ]);
      out.push(['  ratio e2e / raw', ratio === undefined ? 'n/a' : f2(ratio), `acked ${int(v.ackedReadingsPerSec)} readings/s, drain lag after last PUBACK ${f1(v.drainLagSec)} s, PUBACK p50 ${f1(v.ackMsP50)} ms p99 ${f1(v.ackMsP99)} ms`]);
      out.push(['', '', `${cpuText(v.cpu)}`]);
      out.push([
        '  CPU per stored reading',
        `${f1(v.platformCpuUsPerReading)} µs`,
        `platform (≈ ${int(1e6 / v.platformCpuUsPerReading)} readings/s per core if it had one to itself); influxd ${f1(v.influxdCpuUsPerReading)} µs; platform RSS ${mib(v.platformRssBeforeKiB)} → ${mib(v.platformRssKiB)}, ${mib(v.platformRssAfterGcKiB)} after a full GC (live V8 heap ${mib(v.platformHeapKiB)} of ${mib(v.platformHeapTotalKiB)} committed, external ${mib(v.platformExternalKiB)})`,
      ]);
    }
  }
  if (r.idle) {
    const p = r.idle.platform;
    const m = r.idle.mosquitto;
    if (p) out.push(...idleRows('platform', p));
    else out.push(['3 platform: RSS per idle device', 'FAILED', r.idle.platformError ?? '']);
    if (m) out.push(...idleRows('mosquitto', m));
    if (p && m) {
      out.push([
        '  ratio platform / mosquitto',
        `${f1(p.perDeviceKiB / m.perDeviceKiB)}× per device`,
        `total RSS ${f1(p.rssAfterKiB / m.rssAfterKiB)}× (${mib(p.rssAfterKiB)} vs ${mib(m.rssAfterKiB)}); registering ${int(r.idle.devices)} devices took ${f1(r.idle.registerSeconds)} s`,
      ]);
    }
  }
  if (r.webhook) {
    const w = r.webhook;
    out.push([
      '4 publish → signed webhook, p50',
      `${f1(w.latencyMsP50)} ms`,
      `${w.alerts} alerts (${w.timedOut} timed out), one at a time: QoS 1 publish → threshold rule → alert → HMAC-signed POST read by a real HTTP receiver; p90 ${f1(w.latencyMsP90)} ms, max ${f1(w.latencyMsMax)} ms`,
    ]);
    out.push([
      '  p99',
      `${f1(w.latencyMsP99)} ms`,
      `under ${w.backgroundDevices} background devices at ${int(w.backgroundReadingsPerSec)} readings/s (${w.backgroundErrors} errors), whose plain PUBACK took p50 ${f1(w.backgroundAckMsP50)} ms, p99 ${f1(w.backgroundAckMsP99)} ms (the peer)`,
    ]);
    out.push(['  ratio webhook / PUBACK', `${f2(w.latencyMsP50 / w.backgroundAckMsP50)} (p50)`, `p99 ${f2(w.latencyMsP99 / w.backgroundAckMsP99)}: a warning against a background reading's PUBACK (which waits in its device's window of ${w.backgroundWindow})`]);
  }
  if (r.agent) {
    const { idle, load, drain } = r.agent;
    out.push(['5 agent: RSS idle', mib(idle.agentRssKiB), `connected, subscribed to down/#, no sources; bare mqtt.js client doing the same ${mib(idle.peerRssKiB)}`]);
    out.push(['  ratio agent / bare client', `${f1(idle.agentRssKiB / idle.peerRssKiB)}×`, 'idle RSS']);
    out.push([
      '  agent: RSS under load',
      mib(load.agentRssKiB),
      `simulated source: ${int(load.agentTakenPerSec)} readings/s taken into the durable buffer, ${int(load.agentAckedPerSec)}/s acknowledged by the platform, for ${f1(load.seconds)} s; CPU ${f2(load.agentCores)} cores`,
    ]);
    out.push([
      '  ratio agent / bare client',
      `${f1(load.agentRssKiB / load.peerRssKiB)}×`,
      `RSS under load (bare client ${mib(load.peerRssKiB)}, ${int(load.peerAckedPerSec)} readings/s one per QoS 1 message, CPU ${f2(load.peerCores)} cores; CPU ratio ${f1(load.agentCores / Math.max(1e-9, load.peerCores))}×)`,
    ]);
    out.push(['', '', cpuText(load.cpu)]);
    out.push([
      '  agent: backlog drain',
      `${int(drain.readingsPerSec)} readings/s`,
      `${int(drain.readings)} readings buffered while the platform was down (${f1(drain.bufferSeconds)} s to commit, ${mib(drain.bufferBytes / 1024)}), stored ${f1(drain.seconds)} s after reconnecting${drain.complete ? '' : ' (INCOMPLETE)'}; ${drain.readingsPerMessage} readings/msg, ${drain.inflight} in flight, no cap (as fast as PUBACKs come); agent RSS ${mib(drain.agentRssKiB)}`,
    ]);
    out.push([
      '  ratio agent / bare client',
      f2(drain.readingsPerSec / drain.peerReadingsPerSec),
      `bare mqtt.js client publishing the same backlog in the same messages and window to the same platform: ${int(drain.peerReadingsPerSec)} readings/s (${f1(drain.peerSeconds)} s)`,
    ]);
    out.push(['', '', cpuText(drain.cpu)]);
    if (r.agent.opcua) {
      out.push(['  agent: RSS idle, OPC-UA source', mib(r.agent.opcua.agentRssKiB), `one monitored item on a local node-opcua server (node-opcua loaded only for it); ${f1(r.agent.opcua.agentRssKiB / idle.peerRssKiB)}× the bare client idle`]);
    }
    const runs = r.agentRuns ?? [r.agent];
    if (runs.length > 1) {
      const spread = (f: (x: AgentBenchResult) => number, fmt: (n: number) => string): string => {
        const v = runs.map(f);
        return `${fmt(Math.min(...v))}–${fmt(Math.max(...v))}`;
      };
      out.push([`  spread over ${runs.length} runs`, '', `idle RSS ratio ${spread((x) => x.idle.agentRssKiB / x.idle.peerRssKiB, f2)}; drain ratio ${spread((x) => x.drain.readingsPerSec / x.drain.peerReadingsPerSec, f2)} (agent ${spread((x) => x.drain.readingsPerSec, int)} readings/s, peer ${spread((x) => x.drain.peerReadingsPerSec, int)}); OPC-UA idle RSS ${spread((x) => (x.opcua?.agentRssKiB ?? 0) / 1024, f1)} MiB`]);
    }
  }
  return out;
}

function header(r: BenchResults): string {
  const m = r.machine;
  return `Shanshui bench (${r.mode}) — ${m.date}, ${m.cores} cores ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.kernel}, node ${m.node}, ${m.influxd}, ${m.mosquitto}; load average ${m.loadAvgStart} at start, ${r.loadAvgEnd} at end; CPU probe ${m.cpuProbeMs} ms (test/bench/cpu-probe.ts); ${f1(r.seconds)} s`;
}

export function renderText(r: BenchResults): string {
  const table = rows(r);
  const w0 = Math.max(...table.map((x) => x[0].length), 11);
  const w1 = Math.max(...table.map((x) => x[1].length), 6);
  const lines = [header(r), '', `${'Measurement'.padEnd(w0)}  ${'Result'.padStart(w1)}  Notes`, `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(40)}`];
  for (const [a, b, c] of table) lines.push(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  if (r.profile) {
    lines.push('', `Platform CPU profile (${r.profile.files.join(', ')}), busy ${f1(r.profile.summary.busyPercent)} % of the profile; self time of busy:`);
    for (const s of r.profile.summary.byArea.slice(0, 10)) lines.push(`  ${f1(s.percent).padStart(5)} %  ${s.name}`);
    lines.push('  top functions:');
    for (const s of r.profile.summary.byFunction.slice(0, 12)) lines.push(`  ${f1(s.percent).padStart(5)} %  ${s.name}`);
  }
  for (const f of r.failures) lines.push(`FAILED: ${f}`);
  return lines.join('\n');
}

/** Every CPU window of the run, for how busy the rest of the machine was while we measured. */
function cpuReports(r: BenchResults): CpuReport[] {
  return [
    ...(r.raw ? [r.raw.cpu] : []),
    ...(r.e2e ? r.e2e.variants.map((v) => v.cpu) : []),
    ...(r.idle?.platform ? [r.idle.platform.cpu] : []),
    ...(r.idle?.mosquitto ? [r.idle.mosquitto.cpu] : []),
    ...(r.agent ? [r.agent.load.cpu, r.agent.drain.cpu] : []),
  ];
}

/** One line on the other work on the (shared) machine during the measurements. */
export function sharedMachineNote(r: BenchResults): string {
  const others = cpuReports(r).map((c) => c.otherCores);
  if (others.length === 0) return 'no CPU windows measured';
  const max = Math.max(...others);
  const mean = others.reduce((a, b) => a + b, 0) / others.length;
  const verdict = max < 0.1 ? 'quiet while we measured' : max < 0.5 ? 'lightly shared with other work while we measured' : 'shared with other work while we measured: rates in the windows where "others" is high understate';
  return `${verdict} (other processes used ${f2(mean)} cores on average, ${f2(max)} at most, over the ${others.length} measuring windows)`;
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    '# Benchmarks',
    '',
    'Measured by `npm run bench -- --write` (test/bench/run.ts): every number below comes from one run, and every process the',
    'bench started was stopped at its end. Benchmarks print; they never assert timings.',
    '',
    '## Machine',
    '',
    `| | |`,
    `|---|---|`,
    `| date | ${m.date} |`,
    `| mode | ${r.mode} (${f1(r.seconds)} s) |`,
    `| CPU | ${m.cores} cores, ${esc(m.cpuModel)} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| kernel | ${esc(m.kernel)} |`,
    `| node | ${m.node} |`,
    `| influxd | ${esc(m.influxd)} |`,
    `| mosquitto | ${esc(m.mosquitto)} |`,
    `| load average (1 min) | ${m.loadAvgStart} at start, ${r.loadAvgEnd} at end — the machine is shared; "others" in the CPU notes is the load that was not ours |`,
    `| other work | ${sharedMachineNote(r)} |`,
    '',
    '## Results',
    '',
    '| Measurement | Result | Notes |',
    '|---|---:|---|',
    ...rows(r).map(([a, b, c]) => `| ${esc(a.trim())} | ${esc(b)} | ${esc(c)} |`),
    '',
    '## How it is measured',
    '',
    '1. **Raw InfluxDB**: a fresh influxd (port 0, temp folder); the same points the platform writes (measurement `air`, tags',
    '   station/domain/region/dept, the six AQI pollutants as float fields, ms timestamps; 200 series), 5000 lines per POST,',
    '   one POST at a time — the rate a client that does nothing else gets from this influxd. The #16 section also runs it',
    '   with as many POSTs in flight as the drain has write lanes (`SHANSHUI_INFLUX_WRITE_LANES`, 2 by default).',
    '2. **End to end**: a fresh platform as its own process (`node ingest/src/main.ts`, SHANSHUI_* variables, scrypt cost',
    '   1024, rate limits lifted) with its own fresh influxd; devices registered over the HTTP API; real mqtt.js clients in a',
    '   separate load-generator process publish QoS 1 readings, each keeping a window of unacknowledged publishes. The clock',
    '   runs from the first publish until `SELECT count(pm25) FROM air` shows every acknowledged reading.',
    '   "CPU per stored reading" is the platform\'s (and influxd\'s) CPU time over the run divided by the readings: unlike',
    '   the rates, it hardly depends on what else the shared machine was doing.',
    '3. **Idle memory**: a fresh platform process (with the inspector open, so the bench can force a full GC before each',
    '   reading) registers the devices; real mqtt.js clients in two generator processes connect, subscribe to their own',
    '   `down/#` and stay idle (keepalive 20 min). 20 warm-up devices connect first (one-time costs such as mqtt-packet\'s',
    '   65,536-entry packet-id Buffer cache must not count per device); VmRSS from /proc after a full GC, before and after',
    '   the rest connect. Peer: Mosquitto with the same clients (anonymous, `max_connections -1`).',
    '4. **Webhook latency**: a fresh platform and influxd; 200 background devices publish QoS 1 readings (window 2, paced at 25,000 readings/s in all) the whole',
    '   time; one more device publishes a temperature across a threshold rule (alternately firing and resolving), one',
    '   alert at a time, and the clock runs from its publish to the signed webhook fully read by a real HTTP receiver in',
    '   the bench process (the same clock at both ends). Peer: the background devices\' PUBACK latency in the same run.',
    '5. **Edge agent**: a fresh platform and influxd; the agent (`createAgent`) in a process of its own, its peer a bare',
    '   mqtt.js client process registered as a second station. Both programs are bundled by the esbuild setup of',
    '   `npm run agent:build` and run as plain JavaScript, as the agent ships (no TypeScript stripper in either: it costs',
    '   about 17 MiB); the peer holds mqtt.js, one connection, one subscription and its IPC channel, nothing else.',
    '   Idle: both connected and subscribed, VmRSS. Load: the',
    '   agent\'s simulated source set through the API to a fixed high rate, the peer publishing as many readings (one',
    '   per QoS 1 message); VmRSS and CPU at the end. Outage: the platform stops, the agent commits N readings to its',
    '   buffer, the platform restarts on the same data and ports; readings/s from the agent\'s reconnection until',
    '   InfluxDB shows all N. Peer: the bare client publishing the same N readings to the restarted platform in the',
    '   agent\'s message size and window, after the agent\'s drain (so on a platform already warm). The agent drains with',
    '   no cap (its default): as fast as PUBACKs free its window of 8 messages of up to 500 readings. Then an OPC-UA',
    '   source (one item on a node-opcua server in the bench process) is configured and the agent idles again. The whole',
    '   part runs three times in a full run (fresh platform each time); the spread row gives the range of the ratios.',
    '   RSS is as `ps` shows it (no forced GC in either process).',
    '',
  ];
  if (r.profile) {
    lines.push('## Platform CPU profile (end to end)', '', `Busy ${f1(r.profile.summary.busyPercent)} % of the profile. Self time of the busy part:`, '', '| % | where |', '|---:|---|');
    for (const s of r.profile.summary.byArea.slice(0, 10)) lines.push(`| ${f1(s.percent)} | ${esc(s.name)} |`);
    lines.push('', '| % | function |', '|---:|---|');
    for (const s of r.profile.summary.byFunction.slice(0, 12)) lines.push(`| ${f1(s.percent)} | \`${esc(s.name)}\` |`);
    lines.push('');
  }
  lines.push('## Raw results', '', '```json', JSON.stringify(r), '```', '');
  return lines.join('\n');
}
