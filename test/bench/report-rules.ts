/**
 * Bench support: the section of docs/benchmarks.md for issue #16's rules (publish → signed
 * webhook under paced background load, several runs, with their spread), between its own
 * markers so `npm run bench -- --only=webhook --write` replaces it alone.
 */
import type { WebhookLatencyResult } from './webhook-latency.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';
import type { MachineInfo } from './machine-info.ts';
import type { RulesFlushResult } from './bench-rules-flush.ts';

const BEGIN = '<!-- rules-16:begin -->';
const END = '<!-- rules-16:end -->';

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function spread(values: readonly number[], fmt: (n: number) => string): string {
  if (values.length === 0) return '—';
  const lo = fmt(Math.min(...values));
  const hi = fmt(Math.max(...values));
  // Equal once printed: one figure, not "2.8–2.8".
  return lo === hi ? lo : `${lo}–${hi}`;
}

/** Said when other work on the machine took CPU from the runs (then the paced rate falls short and latencies include waiting for a core). */
function busyNote(runs: readonly WebhookLatencyResult[]): string | undefined {
  const others = runs.map((r) => r.cpu?.otherCores ?? 0);
  const max = Math.max(0, ...others);
  if (max <= 0.5) return undefined;
  return `**The machine was shared while these ran** (other processes used up to ${f2(max)} of its cores): the background fell short of its paced target and the latencies include waiting for a core — re-run on a quiet machine before reading them against the goal.`;
}

export function renderRulesSection(runs: readonly WebhookLatencyResult[], machine: MachineInfo, flush?: RulesFlushResult, profile?: ProfileSummary): string {
  const target = runs[0]?.backgroundTargetPerSec ?? 0;
  const p99 = runs.map((r) => r.latencyMsP99);
  const verdict = p99.length === 0 ? 'no run finished' : Math.max(...p99) < 50 ? 'goal met: p99 under 50 ms in every run' : `goal NOT met in ${p99.filter((v) => v >= 50).length} of ${p99.length} runs (p99 ≥ 50 ms)`;
  // The goal's load: the background must really reach the paced rate (within 3 %), or the p99 is of a lighter load.
  const short = target > 0 ? runs.filter((r) => r.backgroundReadingsPerSec < 0.97 * target).length : 0;
  const loadVerdict = target === 0 ? '' : short === 0 ? `; the background reached its ${int(target)} readings/s in every run` : `; the background fell short of ${int(target)} readings/s in ${short} of ${runs.length} runs (the goal's load was not reached there)`;
  const lines = [
    BEGIN,
    '## Issue #16: rules off the publish path — publish → signed webhook under load',
    '',
    `Measured by \`npm run bench -- --only=webhook\` (test/bench/webhook-latency.ts, ${runs.length} run${runs.length === 1 ? '' : 's'}, each on a fresh platform, influxd and load generator) on ${machine.date}, ${machine.cores} cores, load average ${machine.loadAvgStart} at the start (1-minute load average as each run began measuring: ${runs.map((r) => f2(r.loadAvg1)).join(', ')}). CPU probe (test/bench/cpu-probe.ts, a fixed piece of work; this VM's speed varies over the day, and these latencies with it): ${machine.cpuProbeMs} ms at the start, ${runs.map((r) => r.cpuProbeMs).join(', ')} ms as each run began measuring.`,
    `Background: ${runs[0]?.backgroundDevices ?? 0} QoS 1 devices (${runs[0]?.backgroundGenerator === 'mqtt.js' ? 'mqtt.js clients' : 'the light generator: raw sockets, hand-encoded packets, test/bench/light-load-generator.ts'}), one reading per message, window ${runs[0]?.backgroundWindow ?? '—'}, ${target > 0 ? `paced at ${int(target)} readings/s` : 'unpaced'}, every default rule evaluating them;`,
    'one alert device publishes a value that crosses a threshold rule (firing) or falls back (resolved), and waits for that webhook at a real HTTP receiver in the bench process before the next.',
    '',
    '| run | alerts (timed out) | p50 ms | p90 ms | p99 ms | max ms | background readings/s | background PUBACK p50 / p99 ms | platform cores | influxd | generator | others on the machine |',
    '|----:|-------------------:|-------:|-------:|-------:|-------:|----------------------:|-------------------------------:|---------------:|--------:|----------:|----------------------:|',
    ...runs.map((r, i) => {
      const c = r.cpu?.cores ?? {};
      return `| ${i + 1} | ${r.alerts} (${r.timedOut}) | ${f1(r.latencyMsP50)} | ${f1(r.latencyMsP90)} | ${f1(r.latencyMsP99)} | ${f1(r.latencyMsMax)} | ${int(r.backgroundReadingsPerSec)} | ${f1(r.backgroundAckMsP50)} / ${f1(r.backgroundAckMsP99)} | ${f2(c['platform'] ?? NaN)} | ${f2(c['influxd'] ?? NaN)} | ${f2(c['generator'] ?? NaN)} | ${f2(r.cpu?.otherCores ?? NaN)} |`;
    }),
    '',
    ...(busyNote(runs) ? [busyNote(runs)!, ''] : []),
    `**Spread over the ${runs.length} run${runs.length === 1 ? '' : 's'}:** p50 ${spread(runs.map((r) => r.latencyMsP50), f1)} ms, p99 ${spread(p99, f1)} ms, background ${spread(runs.map((r) => r.backgroundReadingsPerSec), int)} readings/s, its PUBACK p99 ${spread(runs.map((r) => r.backgroundAckMsP99), f1)} ms — ${verdict}${loadVerdict}.`,
    '',
    ...(flush
      ? [
          `**The rules’ own cost** (test/bench/bench-rules-flush.ts, in-process, a real SQLite store, the default rules, ${flush.stations} air stations, ${int(flush.messages)} simulated one-reading messages in turns of ${flush.perTurn}, ${flush.rounds} rounds each after a warm-up pair):`,
          `CPU per message **${spread(flush.flushedUsPerMessage, f1)} µs flushed** against ${spread(flush.inlineUsPerMessage, f1)} µs for the inline path it replaced (peer: rules in each message’s event, a transaction per alert change and one more for its rule state, rebuilt from the same engine and lifecycle);`,
          `ratio flushed / inline ${spread(flush.flushedUsPerMessage.map((v, i) => v / flush.inlineUsPerMessage[i]!), f2)}. Store transactions for the same ${int(flush.transitions)} alert changes: ${int(flush.flushedTransactions)} flushed against ${int(flush.inlineTransactions)} inline.`,
          '',
        ]
      : []),
    '**What the path is now.** The publish path only queues a durable message for the rules (an array push, ingest/src/alerts/rule-flusher.ts).',
    'The rules run in the next flush (process.nextTick: after the callback that made a spool commit durable has handed its messages back and their PUBACKs are written, all of them are evaluated together, consecutive messages of a station in one `evaluateReadings` call),',
    'and the flush’s alert changes and the rule states behind them are ONE store transaction (RuleFlushStore), after which the delivery worker is kicked.',
    'Since the last section (webhook-p99): the spool’s segment is written O_DSYNC and its writes are pipelined — each turn’s appends are written at once, past the writes still in flight, and acknowledged in offset order (ingest/src/spool/file-spool.ts) —',
    'so a publish is durable one thread-pool trip after the turn it was read in (before: a write, then an fdatasync, two trips, and appends that came while a write was out waited for it to return before theirs began);',
    'the delivery worker is kicked in process.nextTick, so a warning committed in the poll phase starts its request there and undici’s own setImmediate (it checks an idle keep-alive socket before reusing it) runs in the same turn’s check phase (before: kicked with setImmediate, that check waited a whole further turn);',
    'and two stalls of the event loop are gone: the rule states’ timer flush goes in slices of 128 per transaction (it was one synchronous transaction of every changed state, ~600 rows a second with 200 stations), and SQLite’s log is checkpointed by a thread of its own (it was copied and fsynced inside a main-thread commit, 5–30 ms, every few seconds under load).',
    '',
    '**Where a warning’s time goes now**, in turns of the platform’s event loop: (1) the turn its PUBLISH is read in — parsed, decoded, appended; (2) that turn’s check phase — the spool write goes to the thread pool;',
    '(3) the poll phase in which the write returns — PUBACK, the rules of that commit’s messages, one SQLite transaction (alert, event, outbox row, rule state), the worker’s claim of the outbox row (one more), the signature and the request; (4) that turn’s check phase — the request is written and the receiver has it.',
    'About two turns, then; and under load a turn is the work of every device whose bytes came in meanwhile (readings/s × turn length × CPU per reading), so the latency tracks the platform’s CPU per reading and how busy its one core is.',
    'The tail is the turns made long by the garbage collector, by an InfluxDB drain batch (1 MiB: ~8,000 records parsed, joined and POSTed in one go), and by the other processes on the 2 cores (influxd, the generator): a warning also waits for a core.',
    '',
    '**What would move it further.** Less CPU per reading on the main thread, since every turn a warning waits through is that work: in this bench’s profile the MQTT layer (aedes, mqtt-packet, and a socket write per device per turn for its PUBACKs) leads, then decode, the rules, the spool and GC —',
    'accept worker threads take decode off the main thread but do not pay on 2 cores (the #16 workers section), they would on more; handing the rules a cheaper form than Reading objects would cut both the rules’ share and GC.',
    'Smaller drain batches would shorten the longest stretches without I/O, at some cost in influxd’s CPU per point — to be measured against the e2e/raw goal first. A larger young generation (`--max-semi-space-size`) would mean fewer scavenges; not measured on a quiet machine, so not a default.',
    'Delivering a fresh alert straight from memory (claiming its outbox row in the commit’s own transaction) would save the claim’s transaction, a fraction of a millisecond — small next to a turn. On PostgreSQL the flush transaction is a network round trip per statement, so batching its statements would matter more there than here.',
  ];
  if (profile) {
    lines.push(
      '',
      `**CPU profile of the platform** (one extra run under \`--cpu-prof\`, not in the figures above; ${f1(profile.busyPercent)} % of the profile busy). By area: ${profile.byArea
        .slice(0, 8)
        .map((a) => `${a.name} ${f1(a.percent)} %`)
        .join(', ')}.`,
      `Top functions (self time): ${profile.byFunction
        .slice(0, 12)
        .map((a) => `\`${a.name}\` ${f1(a.percent)} %`)
        .join(', ')}.`,
    );
  }
  lines.push(END);
  return lines.join('\n');
}

export function replaceRulesSection(doc: string, section: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a !== -1 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + END.length)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
