/**
 * The issue #16 part of docs/benchmarks.md: the platform against the bare aedes broker it is
 * built on (CPU per message at one reading per message) and end to end against raw influxd
 * (ten readings per message), over several runs with their spread. Its own section, replaced in
 * place by `npm run bench -- --only=raw,e2e,aedes --write`; the hand-written analysis below it
 * (between the notes markers) is kept across writes.
 */
import type { AedesBenchResult } from './bench-aedes.ts';
import type { E2eResult } from './bench-e2e.ts';
import type { RawInfluxResult } from './bench-influx-raw.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';
import type { CpuReport } from './proc-stats.ts';

const BEGIN = '<!-- issue16:begin -->';
const END = '<!-- issue16:end -->';
const NOTES_BEGIN = '<!-- issue16-notes:begin -->';
const NOTES_END = '<!-- issue16-notes:end -->';

/** Goals of issue #16. */
export const CPU_RATIO_GOAL = 2.5;
export const E2E_RATIO_GOAL = 0.7;

export interface Issue16Run {
  /** One POST at a time: the peer the goal was set against. */
  readonly raw?: RawInfluxResult;
  /** As many POSTs in flight as the drain has write lanes by default. */
  readonly rawLanes?: RawInfluxResult;
  readonly e2e?: E2eResult;
  readonly aedes?: AedesBenchResult;
}

export interface Issue16Figures {
  /** Platform CPU per stored reading at 1 reading/msg ÷ bare-aedes CPU per message. */
  readonly cpuRatio?: number;
  /** End to end at 10 readings/msg ÷ raw influxd. */
  readonly e2eRatio10?: number;
  /** End to end at 10 readings/msg ÷ raw influxd with the drain's POSTs in flight. */
  readonly e2eRatio10Lanes?: number;
  readonly e2eRatio1?: number;
}

const ONE = '1 reading/msg';
const TEN = '10 readings/msg';

export function figuresOf(run: Issue16Run): Issue16Figures {
  const one = run.e2e?.variants.find((v) => v.name === ONE);
  const ten = run.e2e?.variants.find((v) => v.name === TEN);
  return {
    ...(one && run.aedes && run.aedes.aedesCpuUsPerMessage > 0 ? { cpuRatio: one.platformCpuUsPerReading / run.aedes.aedesCpuUsPerMessage } : {}),
    ...(ten && run.raw ? { e2eRatio10: ten.readingsPerSec / run.raw.readingsPerSec } : {}),
    ...(ten && run.rawLanes ? { e2eRatio10Lanes: ten.readingsPerSec / run.rawLanes.readingsPerSec } : {}),
    ...(one && run.raw ? { e2eRatio1: one.readingsPerSec / run.raw.readingsPerSec } : {}),
  };
}

const f1 = (n: number | undefined): string => (n === undefined ? '–' : n.toFixed(1));
const f2 = (n: number | undefined): string => (n === undefined ? '–' : n.toFixed(2));
const int = (n: number | undefined): string => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));

function spread(values: readonly (number | undefined)[], fmt: (n: number) => string): string {
  const xs = values.filter((x): x is number => x !== undefined);
  if (xs.length === 0) return '–';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}

function cores(c: CpuReport | undefined): string {
  if (!c) return '–';
  return `${Object.entries(c.cores)
    .filter(([k]) => k !== 'bench')
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}; others ${c.otherCores.toFixed(2)}`;
}

export function renderIssue16(runs: readonly Issue16Run[], date: string, profile?: ProfileSummary): string {
  const figs = runs.map(figuresOf);
  const one = (r: Issue16Run) => r.e2e?.variants.find((v) => v.name === ONE);
  const ten = (r: Issue16Run) => r.e2e?.variants.find((v) => v.name === TEN);
  const lines: string[] = [
    BEGIN,
    `## Issue #16: the platform over its broker, and end to end against raw influxd (${runs.length} runs, ${date})`,
    '',
    'Written by `npm run bench -- --only=raw,e2e,aedes --write`: each run measures raw influxd, the end-to-end platform',
    '(both variants) and a bare aedes broker (the same aedes version, plain in memory, QoS 1, nothing of ours; loaded by',
    'the same load generator the same way: 200 devices, window 20, one air reading per message) one after another, so',
    'each ratio compares figures from the same run. CPU is user + system time from /proc of the whole process.',
    'Raw influxd is run twice: one POST at a time (the peer the goal was set against) and with as many POSTs in flight as',
    "the platform's drain has write lanes by default (like for like: the drain splits each batch into that many writes).",
    '',
    '| run | raw influxd (1 / lanes in flight) | e2e 1/msg | platform CPU per stored reading, 1/msg | bare aedes CPU per msg | **CPU ratio** (goal ≤ 2.5×) | e2e 10/msg | **e2e/raw at 10/msg** (goal ≥ 0.7) | e2e/raw at 10/msg, raw with lanes in flight | e2e/raw at 1/msg |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  runs.forEach((r, i) => {
    const f = figs[i]!;
    lines.push(
      `| ${i + 1} | ${int(r.raw?.readingsPerSec)}/s / ${int(r.rawLanes?.readingsPerSec)}/s | ${int(one(r)?.readingsPerSec)}/s | ${f1(one(r)?.platformCpuUsPerReading)} µs | ${f1(r.aedes?.aedesCpuUsPerMessage)} µs | ${f2(f.cpuRatio)}× | ${int(ten(r)?.readingsPerSec)}/s | ${f2(f.e2eRatio10)} | ${f2(f.e2eRatio10Lanes)} | ${f2(f.e2eRatio1)} |`,
    );
  });
  lines.push(
    `| **spread** | ${spread(runs.map((r) => r.raw?.readingsPerSec), int)} / ${spread(runs.map((r) => r.rawLanes?.readingsPerSec), int)} | ${spread(runs.map((r) => one(r)?.readingsPerSec), int)} | ${spread(runs.map((r) => one(r)?.platformCpuUsPerReading), f1)} µs | ${spread(runs.map((r) => r.aedes?.aedesCpuUsPerMessage), f1)} µs | **${spread(figs.map((f) => f.cpuRatio), f2)}×** | ${spread(runs.map((r) => ten(r)?.readingsPerSec), int)} | **${spread(figs.map((f) => f.e2eRatio10), f2)}** | ${spread(figs.map((f) => f.e2eRatio10Lanes), f2)} | ${spread(figs.map((f) => f.e2eRatio1), f2)} |`,
  );
  const cpuWorst = Math.max(...figs.map((f) => f.cpuRatio ?? Infinity));
  const e2eWorst = Math.min(...figs.map((f) => f.e2eRatio10 ?? -Infinity));
  lines.push(
    '',
    `Goal CPU ratio ≤ ${CPU_RATIO_GOAL}×: ${Number.isFinite(cpuWorst) ? (cpuWorst <= CPU_RATIO_GOAL ? 'met in every run' : 'not met in every run') : 'not measured'}. ` +
      `Goal e2e/raw at 10/msg ≥ ${E2E_RATIO_GOAL}: ${Number.isFinite(e2eWorst) ? (e2eWorst >= E2E_RATIO_GOAL ? 'met in every run' : 'not met in every run') : 'not measured'}.`,
    '',
    'Cores each process used, per run (1.0 = one core busy; this machine has two, shared by the load generator and influxd):',
    '',
    '| run | e2e 1/msg | e2e 10/msg | bare aedes |',
    '|---|---|---|---|',
  );
  runs.forEach((r, i) => {
    lines.push(`| ${i + 1} | ${cores(one(r)?.cpu)} | ${cores(ten(r)?.cpu)} | ${cores(r.aedes?.cpu)}${r.aedes ? ` (${int(r.aedes.messagesPerSec)} msgs/s, PUBACK p99 ${f1(r.aedes.ackMsP99)} ms)` : ''} |`);
  });
  if (profile) {
    lines.push('', `Platform CPU profile of an extra end-to-end run under \`--cpu-prof\` (both variants; not one of the runs above). Busy ${f1(profile.busyPercent)} % of the profile; self time of the busy part:`, '', '| % | where |', '|---:|---|');
    for (const s of profile.byArea.slice(0, 10)) lines.push(`| ${f1(s.percent)} | ${s.name.replace(/\|/g, '\\|')} |`);
    lines.push('', '| % | function |', '|---:|---|');
    for (const s of profile.byFunction.slice(0, 15)) lines.push(`| ${f1(s.percent)} | \`${s.name.replace(/\|/g, '\\|')}\` |`);
  }
  lines.push(END, '');
  return lines.join('\n');
}

/** Replaces the #16 section in `doc` (or adds it before the raw results), keeping the hand-written notes after it. */
export function replaceIssue16Section(doc: string, section: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a !== -1 && b > a) {
    const rest = doc.slice(b + END.length).replace(/^\n/, '');
    return `${doc.slice(0, a)}${section}${rest}`;
  }
  const at = doc.indexOf('## Raw results');
  return at === -1 ? `${doc.trimEnd()}\n\n${section}` : `${doc.slice(0, at)}${section}\n${doc.slice(at)}`;
}

/** The #16 section and its notes as they stand in `previous`, to carry into a regenerated document. */
export function keptIssue16(previous: string): string | undefined {
  const a = previous.indexOf(BEGIN);
  if (a === -1) return undefined;
  const notesEnd = previous.indexOf(NOTES_END);
  const end = notesEnd > a ? notesEnd + NOTES_END.length : previous.indexOf(END) + END.length;
  return `${previous.slice(a, end)}\n`;
}

export const ISSUE16_NOTES_MARKERS = { begin: NOTES_BEGIN, end: NOTES_END } as const;
