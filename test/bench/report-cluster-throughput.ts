/** The cluster throughput part of docs/benchmarks.md (1 node against 2): its own section, replaced in place by `--only=throughput --write`. */
import type { ThroughputResult } from './bench-cluster-throughput.ts';

const T_BEGIN = '<!-- cluster-throughput:begin -->';
const T_END = '<!-- cluster-throughput:end -->';

const spread = (xs: readonly number[], digits = 0, locale = false): string => {
  if (xs.length === 0) return '—';
  const f = (x: number): string => (locale ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
  const lo = f(Math.min(...xs));
  const hi = f(Math.max(...xs));
  return lo === hi ? lo : `${lo}–${hi}`;
};

export function renderThroughput(runs: readonly ThroughputResult[]): string {
  const of = (n: number): ThroughputResult[] => runs.filter((r) => r.nodes === n);
  const counts = [...new Set(runs.map((r) => r.nodes))].sort();
  const rounds = Math.max(0, ...runs.map((r) => r.round));
  const ratio = (f: (r: ThroughputResult) => number): number[] =>
    of(2).flatMap((two) => {
      const one = of(1).find((r) => r.round === two.round);
      return one ? [f(two) / f(one)] : [];
    });
  const names = ['generator', 'influxd', 'postgres', 'redis'];
  const row = (label: string, f: (r: ThroughputResult) => number, digits = 2, locale = false): string => `| ${label} | ${counts.map((n) => spread(of(n).map(f), digits, locale)).join(' | ')} |`;
  const busiest = Math.max(0, ...runs.map((r) => r.otherCores));
  return [
    T_BEGIN,
    '### Throughput: 1 node against 2',
    '',
    `Measured by \`npm run bench -- --only=throughput\` (test/bench/bench-cluster-throughput.ts) on ${new Date().toISOString()}: 200 devices`,
    '(the light load generator — hand-encoded MQTT packets on raw sockets, one process — QoS 1, one reading per message, window 20) split evenly over the nodes, all on this 2-core',
    `machine with PostgreSQL, Redis and influxd; from the first publish until InfluxDB shows every acknowledged reading. ${rounds} round${rounds === 1 ? '' : 's'}, each running 1 node and 2 nodes (turn-about order); ranges are min–max over the rounds. Cores are each process's CPU time over the run's wall time.`,
    '',
    `| | ${counts.map((n) => `${n} node${n > 1 ? 's' : ''}`).join(' | ')} |`,
    `| --- | ${counts.map(() => '---').join(' | ')} |`,
    row('readings/s', (r) => r.readingsPerSec, 0, true),
    row("nodes' CPU per stored reading, µs", (r) => r.cpuMicrosPerReading, 1),
    row("nodes' cores", (r) => r.nodeCores),
    ...names.map((name) => row(`${name} cores`, (r) => r.cores[name] ?? 0)),
    row('other work on the machine, cores', (r) => r.otherCores),
    row('whole machine, cores', (r) => r.machineCores),
    '',
    of(1).length > 0 && of(2).length > 0
      ? `Ratio 2 nodes / 1 node, same round: ${spread(ratio((r) => r.readingsPerSec), 2)} in readings/s, ${spread(ratio((r) => r.cpuMicrosPerReading), 2)} in CPU per reading — on two cores a second node adds no CPU, so the ratio shows the cost of splitting the work, not the gain of a second machine.`
      : '',
    ...(busiest > 0.5 ? ['', `Other work took up to ${busiest.toFixed(2)} of the 2 cores during these runs (a shared machine): the nodes got what was left, and two node processes get a larger share of a contended scheduler than one, which favours 2 nodes in readings/s — CPU per reading is the figure to read.`] : []),
    T_END,
  ].join('\n');
}

export function replaceThroughputSection(doc: string, section: string): string {
  const a = doc.indexOf(T_BEGIN);
  const b = doc.indexOf(T_END);
  if (a !== -1 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + T_END.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
