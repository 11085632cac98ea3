/** Bench support: the results as a text table (stdout), as Markdown (docs/benchmarks.md), and as one JSON line. */
import type { RawInfluxResult } from './bench-influx-raw.ts';
import type { E2eResult } from './bench-e2e.ts';
import type { IdleBrokerResult, IdleMemoryResult } from './bench-idle-memory.ts';
import type { CpuReport } from './proc-stats.ts';
import type { MachineInfo } from './machine-info.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';

export interface BenchResults {
  readonly mode: 'quick' | 'full';
  readonly machine: MachineInfo;
  readonly loadAvgEnd: number;
  readonly seconds: number;
  readonly raw?: RawInfluxResult;
  readonly e2e?: E2eResult;
  readonly idle?: IdleMemoryResult;
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
      `${int(x.readings)} readings, ${x.posts} sequential POSTs of ≤5000 lines (${int(x.bytesPerLine)} B/line), POST p50 ${f1(x.postMsP50)} ms p99 ${f1(x.postMsP99)} ms${x.capped ? ', CAPPED by time' : ''}`,
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
  return out;
}

function header(r: BenchResults): string {
  const m = r.machine;
  return `Shanshui bench (${r.mode}) — ${m.date}, ${m.cores} cores ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.kernel}, node ${m.node}, ${m.influxd}, ${m.mosquitto}; load average ${m.loadAvgStart} at start, ${r.loadAvgEnd} at end; ${f1(r.seconds)} s`;
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
    '   one POST at a time — the rate a client that does nothing else gets from this influxd.',
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
