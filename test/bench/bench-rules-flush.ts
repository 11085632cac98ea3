/**
 * Bench support: what the rules cost per durable message, in-process on a real SQLite store
 * with the default rules, 200 air stations and simulated readings (their AQI crosses levels
 * now and then, so alerts fire and resolve): the flushed path the platform runs (issue #16:
 * messages queued, evaluated per flush, one transaction per commit) against its peer, the
 * inline path it replaced, rebuilt from the same engine and lifecycle (rules evaluated in each
 * message's event, one transaction per alert change plus one for its rule state). The same
 * messages, in turns of `perTurn` messages (what one spool commit releases), rounds alternating
 * the two after one uncounted pair (JIT warm-up); CPU time of this process per message
 * (the data-quality correction points, rare, are left out of both). Prints, never asserts.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { createMetrics, openPlatformStore, startWarnings } from '@shanshui/ingest';
import type { ReadingsDurable } from '@shanshui/ingest';
import type { Reading, Station } from '@shanshui/models';
import { AirStation, BENCH_STATION } from './air-reading.ts';
import { benchTempDir } from './bench-resources.ts';

export interface RulesFlushOptions {
  readonly messages: number;
  readonly stations: number;
  /** Messages per turn of the event loop. */
  readonly perTurn: number;
  /** Rounds of each path (alternating). */
  readonly rounds: number;
}

export interface RulesFlushResult extends RulesFlushOptions {
  /** CPU µs per message, one entry per round. */
  readonly inlineUsPerMessage: readonly number[];
  readonly flushedUsPerMessage: readonly number[];
  /** Alert changes made (per round, the same for both paths). */
  readonly transitions: number;
  /** Store transactions of the alert changes and their rule states, per round. */
  readonly inlineTransactions: number;
  readonly flushedTransactions: number;
}

const logger = pino({ level: 'silent' });

async function oneRound(kind: 'inline' | 'flushed', messages: readonly ReadingsDurable[], perTurn: number, dir: string): Promise<{ cpuUs: number; transitions: number; transactions: number }> {
  const store = await openPlatformStore({ sqliteFile: path.join(dir, `${kind}-${Date.now()}.db`), logger });
  const metrics = createMetrics();
  const stations = new Map(messages.map((m) => [m.station.id, m.station]));
  const warnings = await startWarnings({
    points: { write: () => undefined },
    store,
    logger,
    metrics,
    stations: { get: (id) => stations.get(id), all: () => [...stations.values()] },
    options: { ruleStateFlushMs: 600_000, staleCheckIntervalMs: 600_000, reloadMs: 600_000 },
  });
  let transitions = 0;
  let transactions = 0;
  // The path before #16: rules in the message's event; per station, each alert change a transaction, then one for the rule states.
  const tails = new Map<string, Promise<void>>();
  const inline = (e: ReadingsDurable): void => {
    const result = warnings.engine.evaluateReadings(e.station, e.readings, Date.now());
    if (result.transitions.length === 0) return;
    const list = result.transitions;
    transitions += list.length;
    const tail = (tails.get(e.station.id) ?? Promise.resolve()).then(async () => {
      for (const t of list) {
        transactions++;
        await warnings.lifecycle.apply(t);
      }
      const states = warnings.engine.takeTransitionStates(list);
      if (states.length > 0) {
        transactions++;
        await store.rules.saveStates(states);
      }
    });
    tails.set(e.station.id, tail);
  };
  const onReadings = kind === 'inline' ? inline : warnings.consumer.on.readingsDurable!;
  const before = process.cpuUsage();
  for (let i = 0; i < messages.length; i += perTurn) {
    for (let j = i; j < Math.min(messages.length, i + perTurn); j++) onReadings(messages[j]!);
    await nextTurn();
  }
  if (kind === 'inline') await Promise.all(tails.values());
  else await warnings.settled();
  const used = process.cpuUsage(before);
  if (kind === 'flushed') {
    const text = await metrics.registry.metrics();
    transitions = Number(/^shanshui_rule_flush_transitions_total (\d+)/m.exec(text)?.[1] ?? 0);
    transactions = Number(/^shanshui_rule_flush_commits_total (\d+)/m.exec(text)?.[1] ?? 0);
  }
  await warnings.stop();
  await store.close();
  return { cpuUs: used.user + used.system, transitions, transactions };
}

export async function benchRulesFlush(o: RulesFlushOptions): Promise<RulesFlushResult> {
  const tmp = await benchTempDir('shanshui-bench-rules-');
  try {
    const stations: Station[] = Array.from({ length: o.stations }, (_, i) => ({ id: `rf-${i}`, name: `压测站 ${i}`, lat: 23, lon: 113, createdAt: '', ...BENCH_STATION }));
    const sims = stations.map((s, i) => new AirStation(s.id, i));
    const t0 = Date.now() - 6 * 3_600_000;
    const messages: ReadingsDurable[] = [];
    for (let k = 0; k < o.messages; k++) {
      const i = k % o.stations;
      const ts = t0 + Math.floor(k / o.stations) * 1000;
      const v = sims[i]!.values(ts);
      const values: Record<string, Reading['values'][string]> = {};
      for (const [m, x] of Object.entries(v)) values[m] = { v: x, q: 'ok' };
      messages.push({ station: stations[i]!, seq: Math.floor(k / o.stations) + 1, readings: [{ ts, values }] });
    }
    const inlineUs: number[] = [];
    const flushedUs: number[] = [];
    let counts = { transitions: 0, inline: 0, flushed: 0 };
    // A first pair warms the JIT up and is not counted.
    for (let r = -1; r < o.rounds; r++) {
      const a = await oneRound('inline', messages, o.perTurn, tmp.dir);
      const b = await oneRound('flushed', messages, o.perTurn, tmp.dir);
      if (r < 0) continue;
      inlineUs.push(a.cpuUs / o.messages);
      flushedUs.push(b.cpuUs / o.messages);
      counts = { transitions: b.transitions, inline: a.transactions, flushed: b.transactions };
    }
    return { ...o, inlineUsPerMessage: inlineUs, flushedUsPerMessage: flushedUs, transitions: counts.transitions, inlineTransactions: counts.inline, flushedTransactions: counts.flushed };
  } finally {
    await tmp.remove().catch(() => undefined);
  }
}

if (import.meta.main) {
  benchRulesFlush({ messages: Number(process.argv[2] ?? 100_000), stations: 200, perTurn: 200, rounds: 3 }).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`rules-flush failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
