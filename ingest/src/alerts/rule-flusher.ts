/**
 * Rules off the publish path. A durable message is only queued here (`readings`: an array
 * push); its rules run in the next flush, scheduled with process.nextTick — which Node runs once
 * the microtasks of the current callback have drained: by then every message that callback
 * made durable (one spool commit) has been handed back to the broker and its PUBACK written,
 * and they are evaluated together, without waiting for another turn of the event loop. Then
 * the alert changes a flush makes are committed together:
 *
 *   1. evaluate — per station, in arrival order (consecutive messages of a station are one
 *                 `evaluateReadings` call when their timestamps follow on, otherwise one call each,
 *                 exactly as message by message); data-quality corrections become one spool write;
 *   2. commit   — the transitions, in the order the rules made them, and the rule states behind
 *                 them: ONE store transaction (AlertLifecycle.applyFlush). One commit runs at a
 *                 time; transitions made meanwhile (later flushes, the stale timer, the
 *                 leader's cross-station pass) wait and go in the next one — so the order of a
 *                 station's alert changes is the order its readings were evaluated in.
 *
 * A commit that fails as a whole (the store down, a change refused) is retried one transition
 * per transaction, so one bad change cannot hold back the others; its rule states are saved
 * again by the engine's next flush.
 */
import type { Logger } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import type { PointSink } from '../spool/retrying-appender.ts';
import { toLineProtocol } from '../store/influx-http.ts';
import { qualityCorrectionPoints } from '../rules/quality-correction-points.ts';
import type { RuleEngine, RuleTransition } from '../rules/rule-engine.ts';
import type { ReadingsDurable } from '../platform-events.ts';
import type { AlertLifecycle } from './alert-lifecycle.ts';

/** What a flush counts (the platform's metrics: shanshui_rule_flush_*). */
export interface RuleFlushCounters {
  /** Durable messages evaluated. */
  readonly messages: { inc(n?: number): void };
  /** Store transactions of commits (one per commit; the one-by-one retry of a failed commit counts each). */
  readonly commits: { inc(n?: number): void };
  /** Rule transitions committed. */
  readonly transitions: { inc(n?: number): void };
}

export interface RuleFlusherDeps {
  readonly engine: Pick<RuleEngine, 'evaluateReadings' | 'takeTransitionStates' | 'markDirty' | 'takingOver' | 'takeoversUnderWay'>;
  readonly lifecycle: Pick<AlertLifecycle, 'apply' | 'applyFlush'>;
  /** Data-quality corrections for InfluxDB (through the spool, never awaited). */
  readonly points: PointSink;
  readonly logger: Logger;
  readonly counters: RuleFlushCounters;
  readonly now: () => number;
}

export class RuleFlusher {
  readonly #d: RuleFlusherDeps;
  #pending: ReadingsDurable[] = [];
  #scheduled = false;
  /** Transitions evaluated and not yet committed, in order. */
  #uncommitted: RuleTransition[] = [];
  #committing: Promise<void> | undefined;
  /**
   * Cluster: messages of stations whose rule states are being taken over from the store (their
   * device just came to this node), in arrival order; evaluated once the states are in.
   */
  readonly #held = new Map<string, ReadingsDurable[]>();
  /** Settle when held messages are queued again. */
  readonly #releases = new Set<Promise<void>>();

  constructor(deps: RuleFlusherDeps) {
    this.#d = deps;
  }

  /** A durable readings message: queued for the next flush (the publish path's whole cost here). */
  readings(e: ReadingsDurable): void {
    this.#pending.push(e);
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => this.#flush());
  }

  /** Transitions made outside the readings (stale timer, cross-station pass): committed in order with the rest. */
  transitions(list: readonly RuleTransition[]): void {
    if (list.length === 0) return;
    this.#uncommitted.push(...list);
    this.#commitSoon();
  }

  /** Evaluates what is queued now and resolves when every transition made so far is committed. */
  async settled(): Promise<void> {
    while (this.#releases.size > 0) await Promise.all(this.#releases);
    if (this.#scheduled) this.#flush();
    while (this.#committing) await this.#committing;
  }

  /** Evaluation never waits for a commit: the next one takes what this made. */
  #flush(): void {
    this.#scheduled = false;
    const batch = this.#holdTakingOver(this.#pending);
    this.#pending = [];
    if (batch.length === 0) return;
    this.#d.counters.messages.inc(batch.length);
    const now = this.#d.now();
    const lines: string[] = [];
    for (const { station, readings } of byStation(batch)) {
      try {
        const result = this.#d.engine.evaluateReadings(station, readings, now);
        if (result.flagged.length > 0) {
          const corrections = toLineProtocol(qualityCorrectionPoints(station, result.readings, result.flagged));
          if (corrections) lines.push(corrections);
        }
        if (result.transitions.length > 0) this.#uncommitted.push(...result.transitions);
      } catch (err) {
        this.#d.logger.error({ err, stationId: station.id }, 'rule evaluation failed');
      }
    }
    if (lines.length > 0) this.#d.points.write(lines.join('\n'));
    this.#commitSoon();
  }

  /** The messages to evaluate now: those of a station being taken over (and any after them) are held until it is. */
  #holdTakingOver(pending: ReadingsDurable[]): ReadingsDurable[] {
    if (this.#held.size === 0 && !this.#d.engine.takeoversUnderWay) return pending;
    const now: ReadingsDurable[] = [];
    for (const e of pending) {
      const id = e.station.id;
      const held = this.#held.get(id);
      if (held) {
        held.push(e);
        continue;
      }
      const takeover = this.#d.engine.takingOver(id);
      if (!takeover) {
        now.push(e);
        continue;
      }
      this.#held.set(id, [e]);
      const release = takeover.then(() => {
        const list = this.#held.get(id) ?? [];
        this.#held.delete(id);
        this.#releases.delete(release);
        // Queued again in order; a takeover begun meanwhile holds them anew.
        for (const m of list) this.readings(m);
      });
      this.#releases.add(release);
    }
    return now;
  }

  #commitSoon(): void {
    if (this.#committing || this.#uncommitted.length === 0) return;
    const run = async (): Promise<void> => {
      while (this.#uncommitted.length > 0) {
        const list = this.#uncommitted;
        this.#uncommitted = [];
        await this.#commit(list);
      }
    };
    this.#committing = run().finally(() => (this.#committing = undefined));
  }

  async #commit(list: readonly RuleTransition[]): Promise<void> {
    const states = this.#d.engine.takeTransitionStates(list);
    try {
      this.#d.counters.commits.inc();
      await this.#d.lifecycle.applyFlush(list, states);
      this.#d.counters.transitions.inc(list.length);
      return;
    } catch (err) {
      this.#d.engine.markDirty(states.map(([key]) => key));
      this.#d.logger.error({ err, transitions: list.length }, 'rule flush not committed; applying its transitions one by one');
    }
    for (const t of list) {
      try {
        this.#d.counters.commits.inc();
        await this.#d.lifecycle.apply(t);
        this.#d.counters.transitions.inc();
      } catch (err) {
        this.#d.logger.error({ err, stationId: t.station.id, ruleId: t.rule.id }, 'alert change failed');
      }
    }
  }
}

/**
 * The batch as calls to evaluateReadings: by station (first arrival first), each station's
 * messages in arrival order, a message joining the call before it when none of its readings is
 * older than the newest seen for the station so far (evaluateReadings sorts a call's readings
 * by time, which then reorders nothing) and the station record is the same one.
 */
function byStation(batch: readonly ReadingsDurable[]): ReadonlyArray<{ readonly station: Station; readonly readings: readonly Reading[] }> {
  // Most flushes hold one message per station: a run is the message's own array until a second joins it.
  const out = new Map<string, { runs: Array<{ station: Station; readings: readonly Reading[]; own: boolean }>; newest: number }>();
  for (const e of batch) {
    let min = Infinity;
    let max = -Infinity;
    for (const r of e.readings) {
      if (r.ts < min) min = r.ts;
      if (r.ts > max) max = r.ts;
    }
    const entry = out.get(e.station.id);
    if (!entry) {
      out.set(e.station.id, { runs: [{ station: e.station, readings: e.readings, own: false }], newest: max });
      continue;
    }
    const last = entry.runs.at(-1)!;
    if (last.station === e.station && min >= entry.newest) {
      if (!last.own) {
        last.readings = [...last.readings];
        last.own = true;
      }
      (last.readings as Reading[]).push(...e.readings);
    } else entry.runs.push({ station: e.station, readings: e.readings, own: false });
    if (max > entry.newest) entry.newest = max;
  }
  if (out.size === batch.length) return batch;
  return [...out.values()].flatMap((entry) => entry.runs);
}
