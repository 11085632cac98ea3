/**
 * #16 "Every core": the end-to-end bench (bench-e2e.ts, one reading per message) with accept
 * worker threads off, 1 and 2, each on a fresh platform and influxd, in rounds — every
 * round runs every mode once (in turn-about order), so each ratio compares runs made minutes
 * apart on the same machine. Reports throughput and every process's cores: on a 2-core
 * machine the load generator and influxd take their share of the same two cores. Two more
 * modes, off and 2 workers, write to a sink standing in for InfluxDB on another machine
 * (influx-sink.ts): there influxd leaves the platform room, which the goal asks about. The last
 * two also run the load generator and the sink at nice 19, so they take only the cycles the
 * platform leaves: the nearest one machine comes to devices and InfluxDB on other machines.
 */
import { acceptWorkerCount } from '@shanshui/ingest';
import { benchE2e } from './bench-e2e.ts';
import type { E2eVariantResult } from './bench-e2e.ts';
import type { ThreadGroup } from './thread-stats.ts';
import type { LoadGeneratorKind } from './load-generator-process.ts';
import { progress } from './progress.ts';

export interface WorkersBenchOptions {
  readonly rounds: number;
  readonly devices: number;
  readonly window: number;
  readonly messagesPerDevice: number;
  readonly maxSeconds: number;
  /** The devices' program: the light generator leaves the cores to the platform (mqtt.js took 0.5–0.6 of 2). */
  readonly generator: LoadGeneratorKind;
  /** Run the platform under --cpu-prof (profiles kept here; not for the figures: the profiler slows it). */
  readonly cpuProfDir?: string;
}

export interface WorkersMode {
  readonly name: string;
  readonly acceptWorkers: number | 'auto';
  /** Worker threads the platform ran (`auto` resolved on this machine). */
  readonly threads: number;
  /** Where the readings go: a real influxd on these cores, or the sink (InfluxDB elsewhere). */
  readonly influx: 'influxd' | 'sink';
  /** Niceness of the load generator and the sink: 19 when they stand for other machines. */
  readonly othersNice: number;
  /** The mode its throughput is compared with, same round. */
  readonly against: string;
}

export interface WorkersRun {
  readonly round: number;
  readonly mode: string;
  readonly readings: number;
  readonly readingsPerSec: number;
  readonly ackedReadingsPerSec: number;
  readonly ackMsP99: number;
  readonly complete: boolean;
  readonly errors: number;
  readonly platformCpuUsPerReading: number;
  readonly cores: Readonly<Record<string, number>>;
  readonly machineCores: number;
  readonly otherCores: number;
  /** The platform's cores by thread group (main, accept workers, V8 helpers, libuv pool). */
  readonly threads: Partial<Record<ThreadGroup, number>>;
  /** Share of the run the main thread waited, ready to run, for a core. */
  readonly mainWaiting?: number;
}

export interface WorkersBenchResult {
  readonly date: string;
  readonly options: WorkersBenchOptions;
  readonly modes: readonly WorkersMode[];
  readonly runs: readonly WorkersRun[];
}

/**
 * Off, one and two workers with influxd here; off and two with InfluxDB elsewhere; off and two
 * with InfluxDB and the devices elsewhere (what `auto` gives on this machine is named in the section).
 */
export function workersModes(): WorkersMode[] {
  const off = 'off (inline)';
  const offElsewhere = 'off, InfluxDB elsewhere';
  const offRoom = 'off, InfluxDB and devices elsewhere';
  return [
    { name: off, acceptWorkers: 0, threads: 0, influx: 'influxd', othersNice: 0, against: off },
    { name: '1 worker', acceptWorkers: 1, threads: 1, influx: 'influxd', othersNice: 0, against: off },
    { name: '2 workers', acceptWorkers: 2, threads: 2, influx: 'influxd', othersNice: 0, against: off },
    { name: offElsewhere, acceptWorkers: 0, threads: 0, influx: 'sink', othersNice: 0, against: offElsewhere },
    { name: '2 workers, InfluxDB elsewhere', acceptWorkers: 2, threads: 2, influx: 'sink', othersNice: 0, against: offElsewhere },
    { name: offRoom, acceptWorkers: 0, threads: 0, influx: 'sink', othersNice: 19, against: offRoom },
    { name: '2 workers, InfluxDB and devices elsewhere', acceptWorkers: 2, threads: 2, influx: 'sink', othersNice: 19, against: offRoom },
  ];
}

/** The cores of the readings' store: influxd, or the sink standing in for it. */
const storeCores = (x: WorkersRun): number => x.cores['influxd'] ?? x.cores['influx sink'] ?? 0;

function runOf(round: number, mode: string, v: E2eVariantResult): WorkersRun {
  return {
    round,
    mode,
    readings: v.readings,
    readingsPerSec: v.readingsPerSec,
    ackedReadingsPerSec: v.ackedReadingsPerSec,
    ackMsP99: v.ackMsP99,
    complete: v.complete,
    errors: v.errors,
    platformCpuUsPerReading: v.platformCpuUsPerReading,
    cores: v.cpu.cores,
    machineCores: v.cpu.machineCores,
    otherCores: v.cpu.otherCores,
    threads: v.platformThreads,
    ...(v.platformMainWaiting !== undefined ? { mainWaiting: v.platformMainWaiting } : {}),
  };
}

export async function benchWorkers(o: WorkersBenchOptions): Promise<WorkersBenchResult> {
  const modes = workersModes();
  const runs: WorkersRun[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    // Turn-about: a machine that warms up or gets busier over the rounds favours no mode.
    const order = round % 2 === 1 ? modes : [...modes].reverse();
    for (const mode of order) {
      progress(`workers: round ${round}/${o.rounds}, accept workers ${mode.name}`);
      const e2e = await benchE2e({
        devices: o.devices,
        window: o.window,
        generators: 1,
        variants: [{ name: '1 reading/msg', readingsPerMessage: 1, messagesPerDevice: o.messagesPerDevice, maxSeconds: o.maxSeconds }],
        platformConfig: { acceptWorkers: mode.acceptWorkers },
        generatorKind: o.generator,
        influx: mode.influx,
        othersNice: mode.othersNice,
        ...(o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}),
      });
      const run = runOf(round, mode.name, e2e.variants[0]!);
      runs.push(run);
      progress(
        `workers [${mode.name}]: ${Math.round(run.readingsPerSec)} readings/s stored; cores platform ${(run.cores['platform'] ?? 0).toFixed(2)} (main ${(run.threads.main ?? 0).toFixed(2)}, workers ${(run.threads['accept workers'] ?? 0).toFixed(2)}, V8 helpers ${(run.threads['V8 helpers (GC, compiler)'] ?? 0).toFixed(2)}, libuv ${(run.threads['libuv pool (fsync, files)'] ?? 0).toFixed(2)}), ${mode.influx === 'sink' ? 'sink' : 'influxd'} ${storeCores(run).toFixed(2)}, generator ${(run.cores['generator'] ?? 0).toFixed(2)}, other ${run.otherCores.toFixed(2)}`,
      );
    }
  }
  return { date: new Date().toISOString(), options: o, modes, runs };
}

const spread = (xs: readonly number[], digits = 0): string => {
  if (xs.length === 0) return '—';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};

export const WORKERS_SECTION_START = '<!-- workers-bench -->';
export const WORKERS_SECTION_END = '<!-- /workers-bench -->';

/** The #16 workers section of docs/benchmarks.md. */
export function renderWorkersMarkdown(r: WorkersBenchResult, machineCores: number): string {
  const of = (mode: string): WorkersRun[] => r.runs.filter((x) => x.mode === mode);
  const ratioOf = (mode: WorkersMode): number[] =>
    of(mode.name).flatMap((run) => {
      const base = r.runs.find((x) => x.mode === mode.against && x.round === run.round);
      return base ? [run.readingsPerSec / base.readingsPerSec] : [];
    });
  const core = (name: string) => (x: WorkersRun): number => x.cores[name] ?? 0;
  const row = (label: string, f: (x: WorkersRun) => number, digits = 0): string => `| ${label} | ${r.modes.map((m) => spread(of(m.name).map(f), digits)).join(' | ')} |`;
  const workerModes = (f: (m: WorkersMode) => boolean): WorkersMode[] => r.modes.filter((m) => m.threads > 0 && f(m));
  const runsOf = (modes: readonly WorkersMode[]): WorkersRun[] => r.runs.filter((x) => modes.some((m) => m.name === x.mode));
  const maxPlatform = (runs: readonly WorkersRun[]): number => Math.max(0, ...runs.map(core('platform')));
  const here = runsOf(workerModes((m) => m.influx === 'influxd'));
  const elsewhereModes = workerModes((m) => m.influx === 'sink' && m.othersNice === 0);
  const roomModes = workerModes((m) => m.influx === 'sink' && m.othersNice > 0);
  const elsewhere = runsOf(elsewhereModes);
  const room = runsOf(roomModes);
  const withWorkers = [...here, ...elsewhere, ...room];
  // The goal's arrangement: the most room this machine can give (devices and InfluxDB elsewhere, else InfluxDB elsewhere).
  const goalRuns = room.length > 0 ? room : elsewhere;
  const maxMain = Math.max(0, ...withWorkers.map((x) => x.threads.main ?? 0));
  // Running or ready to run: a main thread that waits for a core is not idle.
  const mainDemand = withWorkers.flatMap((x) => (x.mainWaiting !== undefined ? [(x.threads.main ?? 0) + x.mainWaiting] : []));
  const minDemand = mainDemand.length > 0 ? Math.min(...mainDemand) : undefined;
  const over = (runs: readonly WorkersRun[]): number => runs.filter((x) => core('platform')(x) > 1.3).length;
  const verdict =
    over(goalRuns) === 0
      ? `not met on ${machineCores} cores`
      : over(goalRuns) === goalRuns.length
        ? `met in every run (${spread(goalRuns.map(core('platform')), 2)} cores)`
        : `above 1.3 in ${over(goalRuns)} of its ${goalRuns.length} runs: met in ${over(goalRuns) === 1 ? 'one run' : 'some runs'}, not in every one`;
  const busiest = Math.max(0, ...r.runs.map((x) => x.otherCores));
  const incomplete = r.runs.filter((x) => !x.complete || x.errors > 0);
  const o = r.options;
  const arrangement = (label: string, modes: readonly WorkersMode[]): string => {
    const runs = runsOf(modes);
    if (runs.length === 0) return '';
    const ratios = modes.flatMap(ratioOf);
    return ` ${label} (the whole machine then used ${spread(runs.map((x) => x.machineCores), 2)} of its ${machineCores} cores), the platform used ${spread(runs.map(core('platform')), 2)} cores, at ${spread(ratios, 2)}× the throughput of inline in the same arrangement${Math.max(0, ...ratios) < 1 ? ' — more cores, and less done with them' : ''}.`;
  };
  return [
    '## #16 Every core: accept worker threads',
    '',
    `Measured by \`npm run bench -- --only=workers\` (test/bench/bench-workers.ts) on ${r.date}, ${machineCores} cores: the end-to-end bench at one reading per message — ${o.devices} devices (${o.generator === 'light' ? 'the light load generator: hand-encoded packets on raw sockets' : 'mqtt.js'} in one load-generator process, QoS 1, window ${o.window}) × ${o.messagesPerDevice} messages, from the first publish until every acknowledged reading is stored — on a fresh platform and influxd per run, with \`SHANSHUI_ACCEPT_WORKERS\` = 0, 1 and 2 (\`auto\` is ${acceptWorkerCount('auto', machineCores)} on ${machineCores} cores). The last four columns ask what the goal asks, the platform with room. In them the readings go to a sink standing in for InfluxDB on another machine (test/bench/influx-sink.ts: it answers the v1 API the platform uses, keeps nothing and counts the lines), so influxd's share of the two cores is free. In the last two the load generator and the sink also run at nice 19: they take only the cycles the platform leaves, as the devices and InfluxDB would from other machines, instead of competing with it for the two cores. ${o.rounds} rounds; each round runs every mode once, in turn-about order. Ranges are min–max over the rounds. Cores are each process's CPU time over the run's wall time (1.00 = one core busy); "other" is the rest of the machine (other people's work on this shared machine).`,
    '',
    `| | ${r.modes.map((m) => `${m.name}${m.threads > 0 ? ` (${m.threads} thread${m.threads > 1 ? 's' : ''})` : ''}`).join(' | ')} |`,
    `| --- | ${r.modes.map(() => '---').join(' | ')} |`,
    row('stored readings/s', (x) => x.readingsPerSec),
    `| against off, same round and store | ${r.modes.map((m) => (m.name === m.against ? '1' : spread(ratioOf(m), 2))).join(' | ')} |`,
    row('PUBACKed readings/s', (x) => x.ackedReadingsPerSec),
    row('PUBACK p99, ms', (x) => x.ackMsP99),
    row('platform cores', core('platform'), 2),
    row('— its main thread', (x) => x.threads.main ?? 0, 2),
    row('— its main thread waiting for a core (ready to run, both taken)', (x) => x.mainWaiting ?? 0, 2),
    row('— accept worker threads', (x) => x.threads['accept workers'] ?? 0, 2),
    row('— V8 helper threads (GC, compiler)', (x) => x.threads['V8 helpers (GC, compiler)'] ?? 0, 2),
    row('— libuv pool (fsync, files)', (x) => x.threads['libuv pool (fsync, files)'] ?? 0, 2),
    row('influxd cores (the sink, InfluxDB elsewhere)', storeCores, 2),
    row('load generator cores', core('generator'), 2),
    row('bench process cores', core('bench'), 2),
    row('other work on the machine, cores', (x) => x.otherCores, 2),
    row('whole machine, cores', (x) => x.machineCores, 2),
    row('platform CPU per stored reading, µs', (x) => x.platformCpuUsPerReading, 1),
    row('— of it on the main thread, µs', (x) => (x.platformCpuUsPerReading * (x.threads.main ?? 0)) / Math.max(1e-9, x.cores['platform'] ?? 0), 1),
    '',
    `Goal (#16): with workers on, the platform uses more than 1.3 cores under this load when the generator and influxd leave room — ${verdict}${room.length > 0 ? ', with the devices and InfluxDB elsewhere' : ', with InfluxDB elsewhere'}. With influxd on the same cores: ${maxPlatform(here).toFixed(2)} at most.${arrangement('With InfluxDB elsewhere and the generator competing for the cores', elsewhereModes)}${arrangement('With InfluxDB and the devices elsewhere, the generator and the sink at nice 19', roomModes)} Its main thread (MQTT sockets, spool, drain, rules, the hand-off) used at most ${maxMain.toFixed(2)} of a core with workers on${
      minDemand === undefined
        ? ''
        : // A run is a few seconds, and its last tenth or so is the drain alone: 0.8 running or ready is saturated.
          minDemand >= 0.8
          ? `, and was running or ready to run ${minDemand.toFixed(2)}–${Math.max(...mainDemand).toFixed(2)} of the run (the rest includes the last moments of the run, when only the drain works): it was saturated. The workers take the decode off it, but handing a message over and building its readings on return cost it about as much, so its work per reading stays (the last row) and the rate with it`
          : `, and was running or ready to run at least ${minDemand.toFixed(2)} of the run: not saturated, so the pipeline (the PUBACK round trip), not the main thread, held the rate`
    }.`,
    ...(busiest > 0.5
      ? ['', `The machine was busy with other work during these runs (up to ${busiest.toFixed(2)} of ${machineCores} cores not ours): the platform got what was left, so these figures show the workers' hand-off cost, not what a second core buys. A run on a quiet machine replaces them.`]
      : []),
    ...(incomplete.length > 0 ? ['', `Incomplete runs (not every reading stored, or publish errors): ${incomplete.map((x) => `round ${x.round} ${x.mode}`).join(', ')}.`] : []),
    '',
    'Run it alone: `npm run bench -- --only=workers` (`--write` puts this section into docs/benchmarks.md).',
    '',
  ].join('\n');
}

/** `doc` with its workers section replaced (or appended). */
export function spliceWorkersSection(doc: string, section: string): string {
  const block = `${WORKERS_SECTION_START}\n${section}${WORKERS_SECTION_END}\n`;
  const a = doc.indexOf(WORKERS_SECTION_START);
  const b = doc.indexOf(WORKERS_SECTION_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + WORKERS_SECTION_END.length + 1);
  return `${doc.trimEnd()}\n\n${block}`;
}

const NOTES_START = '<!-- workers-notes:begin -->';
const NOTES_END = '<!-- workers-notes:end -->';

/**
 * The hand-written notes under the workers section (where the time goes, what would move it):
 * kept as they are in `previous` and put right after the workers section of `doc` when a write
 * lost them (a full run renders the file anew).
 */
export function keepWorkersNotes(previous: string, doc: string): string {
  const notes = new RegExp(`${NOTES_START}[\\s\\S]*${NOTES_END}\\n?`).exec(previous)?.[0];
  if (!notes || doc.includes(NOTES_START)) return doc;
  const end = doc.indexOf(WORKERS_SECTION_END);
  if (end === -1) return `${doc.trimEnd()}\n\n${notes.trimEnd()}\n`;
  const after = end + WORKERS_SECTION_END.length + 1;
  return `${doc.slice(0, after)}\n${notes.trimEnd()}\n${doc.slice(after)}`;
}
