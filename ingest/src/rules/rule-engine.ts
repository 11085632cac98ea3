/**
 * Evaluates rules in the stream: for every accepted reading, every enabled rule that applies to
 * the station, step by step —
 *   1. data quality — data_quality rules flag spikes and flatlines (quality 'spike' /
 *      'flatline') and raise maintenance alerts of their own;
 *   2. evaluator    — every other rule, on trustworthy values only (flagged ones are not);
 *   3. duration     — `forSec`;
 *   4. corroborate  — k of n stations of a group before the higher levels (`corroborate`);
 *   5. compare      — with the level the rule raised before.
 * What changes becomes a RuleTransition for the alert lifecycle. State per (station, rule)
 * lives in a Map, saved to the store every `flushIntervalMs`, and a transition's own state in
 * the transaction that commits its alert change (takeTransitionStates), so durations, windows and baselines survive a restart — and a node
 * that takes a station over (its device reconnected there) carries them on (takeOverStation).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Reading, Station, WarningLevel } from '@shanshui/models';
import type { Corroborate, DataQualityRule, Rule, StaleRule } from './rule-schema.ts';
import { possibleLevels } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import { emptyRuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { stateKey, splitKey } from './rule-store.ts';
import type { RuleStore } from './rule-store.ts';
import { applyDuration } from './apply-duration.ts';
import { evaluateThreshold } from './evaluate-threshold.ts';
import { evaluateRateOfChange } from './evaluate-rate-of-change.ts';
import { evaluateClassification } from './evaluate-classification.ts';
import { evaluateStale } from './evaluate-stale.ts';
import { evaluateAnomaly } from './evaluate-anomaly.ts';
import { evaluateTrend } from './evaluate-trend.ts';
import { evaluateDataQuality } from './evaluate-data-quality.ts';
import type { QualityFlag } from './evaluate-data-quality.ts';
import { CORROBORATION_GROUP_LABEL, capBelow, corroborationOf, groupOf, needsCorroboration } from './corroboration.ts';
import { WARNING_LEVEL_INFO } from '@shanshui/models';
import { parseComponentOptions } from '../component-options.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';

const noop = (): void => undefined;

/** Rule states per transaction of a timer flush (`flush()`): a slice is well under a millisecond of SQLite work. */
export const FLUSH_SLICE_STATES = 128;

export interface RuleTransition {
  readonly station: Station;
  readonly rule: Rule;
  readonly from: WarningLevel | null;
  readonly to: WarningLevel | null;
  readonly value: number;
  /** Condition text at the level concerned (`to`, or `from` when clearing), without the station name. */
  readonly condition: string;
  /** Platform time, ms. */
  readonly at: number;
}

/** A value the data-quality step flagged: the reading at `ts` of `metric` is not to be trusted. */
export interface FlaggedValue {
  readonly metric: string;
  readonly ts: number;
  readonly flag: QualityFlag;
  readonly ruleId: string;
}

export interface EvaluationResult {
  readonly transitions: RuleTransition[];
  /** The readings as the rules saw them (flagged values carry their new quality). */
  readonly readings: readonly Reading[];
  readonly flagged: FlaggedValue[];
}

export const RuleEngineOptionsSchema = z
  .object({
    /** Looks a station up by id (corroboration re-checks the other stations of a group). Default none (stations seen in readings). */
    station: z.custom<(id: string) => Station | undefined>((v) => typeof v === 'function', 'a function (id) => Station | undefined').optional(),
    /**
     * Cluster: stale and corroboration transitions are made only by `checkCrossStation` on the
     * leader node, from the states every node saves; a node receiving readings records the
     * station's own level and last-seen time and leaves the cross-station verdict to the leader.
     * Default false (one node: both happen on each reading).
     */
    crossStationOnLeader: z.boolean().default(false),
  })
  .strict();
export type RuleEngineOptions = z.input<typeof RuleEngineOptionsSchema>;

/** True when `rule` is enabled and its scope selects `station`. */
export function ruleAppliesTo(rule: Rule, station: Station): boolean {
  if (!rule.enabled) return false;
  const { domain, department, stations } = rule.scope;
  if (domain !== undefined && station.domain !== domain) return false;
  if (department !== undefined && station.department !== department) return false;
  if (stations !== undefined && !stations.includes(station.id)) return false;
  return true;
}

/** The rules in force for `station`: applicable ones, minus those replaced by another applicable rule. */
export function rulesForStation(rules: readonly Rule[], station: Station): Rule[] {
  const applicable = rules.filter((r) => ruleAppliesTo(r, station));
  const replaced = new Set(applicable.flatMap((r) => (r.replaces ? [r.replaces] : [])));
  return applicable.filter((r) => !replaced.has(r.id));
}

export class RuleEngine {
  readonly #store: RuleStore;
  readonly #logger: Logger;
  readonly #states: Map<string, RuleState>;
  readonly #dirty = new Set<string>();
  readonly #reported = new Set<string>();
  readonly #startedMs: number;
  readonly #stationLookup: ((id: string) => Station | undefined) | undefined;
  readonly #crossOnLeader: boolean;
  /** Stations seen in readings, for corroboration when no lookup is given. */
  readonly #seen = new Map<string, Station>();
  /** Corroborated rules: rule id → station id → level the station raises on its own (non-null only). */
  readonly #uncapped = new Map<string, Map<string, WarningLevel>>();
  /** The last verdict per (station, rule), in memory: a peer's message when corroboration changes its level. */
  readonly #lastVerdict = new Map<string, RuleVerdict>();
  #rules: Rule[] = [];
  /** Stations whose rule states are being read from the store (takeOverStation), settling when read. */
  readonly #takingOver = new Map<string, Promise<void>>();
  /** When the read of the rules now in force began (wall clock, ms): every rule change stored before it is in them. */
  #rulesReadAtMs: number;
  /** rulesForStation per station object, for the current #rules (a reload starts over). */
  #forStation = new WeakMap<Station, { readonly domain: string; readonly department: string; readonly id: string; readonly rules: Rule[]; readonly keys: string[] }>();

  private constructor(store: RuleStore, logger: Logger, nowMs: number, options: RuleEngineOptions, rules: Rule[], states: Map<string, RuleState>, rulesReadAtMs: number) {
    this.#store = store;
    this.#logger = logger;
    this.#states = states;
    this.#startedMs = nowMs;
    const o = parseComponentOptions('RuleEngine', RuleEngineOptionsSchema, options);
    this.#stationLookup = o.station;
    this.#crossOnLeader = o.crossStationOnLeader;
    for (const [key, state] of this.#states) {
      if (state.uncapped) this.#setUncapped(...splitKey(key), state.uncapped);
    }
    this.#rules = rules;
    this.#rulesReadAtMs = rulesReadAtMs;
  }

  /** An engine with the stored rules and rule states loaded. */
  static async open(store: RuleStore, logger: Logger, nowMs: number = Date.now(), options: RuleEngineOptions = {}): Promise<RuleEngine> {
    const readAtMs = Date.now();
    const [rules, states] = await Promise.all([store.all(), store.loadStates()]);
    return new RuleEngine(store, logger, nowMs, options, rules, states, readAtMs);
  }

  /**
   * Takes a station's rule states from the store (its device now reports to this node, another
   * one evaluated it before): durations, windows and baselines carry on. States changed here
   * and not yet saved are newer and stay. Until the read is in, `takingOver(stationId)` says so:
   * the station's readings wait for it (rule-flusher.ts) — evaluated before, they would begin a
   * duration or a window afresh, and that new state would then win over the stored one.
   */
  takeOverStation(stationId: string): Promise<void> {
    const run = this.#takeOver(stationId);
    const done = run.then(noop, noop);
    const before = this.#takingOver.get(stationId);
    const all = before ? Promise.all([before, done]).then(noop) : done;
    this.#takingOver.set(stationId, all);
    const forget = (): void => {
      if (this.#takingOver.get(stationId) === all) this.#takingOver.delete(stationId);
    };
    all.then(forget, forget);
    return run;
  }

  /** Settles when the station's takeovers begun so far are done (whether or not they succeeded); undefined when none is under way. */
  takingOver(stationId: string): Promise<void> | undefined {
    return this.#takingOver.get(stationId);
  }

  /** Whether any station is being taken over now (the flusher's one check per flush). */
  get takeoversUnderWay(): boolean {
    return this.#takingOver.size > 0;
  }

  async #takeOver(stationId: string): Promise<void> {
    const states = await this.#store.loadStates(stationId);
    for (const [key, state] of states) {
      if (this.#dirty.has(key)) continue;
      this.#states.set(key, state);
      this.#lastVerdict.delete(key);
      if (state.uncapped) this.#setUncapped(...splitKey(key), state.uncapped);
    }
  }

  get rules(): readonly Rule[] {
    return this.#rules;
  }

  /**
   * When the read of the rules in force here began (wall clock, ms): every rule change stored
   * before that time is in force on this node (`shanshui_store_read_timestamp_seconds{what="rules"}`).
   */
  get rulesReadAtMs(): number {
    return this.#rulesReadAtMs;
  }

  /**
   * Re-reads the rules after a change. Keeps each (station, rule) state's active level, drops its
   * timing. Of two reads that overlap (the timer's and an API change's), the one begun later wins.
   */
  async reload(changedRuleId?: string): Promise<void> {
    const readAtMs = Date.now();
    const rules = await this.#store.all();
    if (readAtMs >= this.#rulesReadAtMs) {
      this.#rules = rules;
      this.#rulesReadAtMs = readAtMs;
      this.#forStation = new WeakMap();
    }
    if (changedRuleId === undefined) return;
    for (const [key, state] of this.#states) {
      if (splitKey(key)[1] !== changedRuleId) continue;
      state.since = {};
      delete state.samples;
      delete state.anomaly;
      delete state.quality;
      this.#dirty.add(key);
    }
  }

  /** Forgets every state of a deleted rule. */
  forgetRule(ruleId: string): void {
    this.#uncapped.delete(ruleId);
    for (const key of [...this.#states.keys()]) {
      if (splitKey(key)[1] === ruleId) {
        this.#states.delete(key);
        this.#dirty.delete(key);
        this.#lastVerdict.delete(key);
      }
    }
  }

  /** Open alerts the lifecycle knows of: the engine's memory of them wins over a lost state flush. */
  adoptActive(stationId: string, ruleId: string, level: WarningLevel): void {
    const key = stateKey(stationId, ruleId);
    const state = this.#states.get(key) ?? emptyRuleState();
    if (state.active === null) {
      state.active = level;
      this.#states.set(key, state);
      this.#dirty.add(key);
    }
  }

  /** Transitions only (see evaluateReadings). */
  evaluate(station: Station, readings: readonly Reading[], nowMs: number): RuleTransition[] {
    return this.evaluateReadings(station, readings, nowMs).transitions;
  }

  evaluateReadings(station: Station, readings: readonly Reading[], nowMs: number): EvaluationResult {
    const out: RuleTransition[] = [];
    const flagged: FlaggedValue[] = [];
    const { rules, keys } = this.#rulesFor(station);
    if (rules.length === 0) return { transitions: out, readings, flagged };
    this.#seen.set(station.id, station);
    let ordered = readings.length > 1 ? [...readings].sort((a, b) => a.ts - b.ts) : readings;
    // 1. Data quality first: what it flags, no later rule trusts.
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.kind === 'data_quality') ordered = this.#checkQuality(out, flagged, station, rule, keys[i]!, ordered, nowMs);
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.kind === 'data_quality') continue;
      const key = keys[i]!;
      let state = this.#states.get(key);
      if (rule.kind === 'stale') {
        state ??= emptyRuleState();
        const silence = evaluateStale(rule, station, state.lastSeenMs ?? nowMs, nowMs);
        state.lastSeenMs = nowMs;
        this.#states.set(key, state);
        this.#dirty.add(key);
        if (state.active !== null && !this.#crossOnLeader) this.#transition(out, station, rule, state, null, silence, nowMs);
        continue;
      }
      for (const reading of ordered) {
        const s = state ?? emptyRuleState();
        if (reading.ts < s.lastTs) continue; // late or resent: the window has moved on
        let verdict: RuleVerdict | undefined;
        try {
          verdict =
            rule.kind === 'threshold'
              ? evaluateThreshold(rule, station, reading, s)
              : rule.kind === 'rate_of_change'
                ? evaluateRateOfChange(rule, station, reading, s)
                : rule.kind === 'anomaly'
                  ? evaluateAnomaly(rule, station, reading, s)
                  : rule.kind === 'trend'
                    ? evaluateTrend(rule, station, reading, s)
                    : evaluateClassification(rule, station, reading, s);
        } catch (err) {
          this.#reportOnce(key, station, rule, err);
          continue;
        }
        if (!state && (verdict || s.samples || s.anomaly || s.fire)) {
          // Windows and baselines begin even before the first verdict.
          state = s;
          this.#states.set(key, state);
        }
        if (!state) continue;
        if (!verdict) {
          // A window or baseline took the value in (anomaly warming up, trend without thresholds).
          if (s.samples || s.anomaly || s.fire) {
            state.lastTs = reading.ts;
            this.#dirty.add(key);
          }
          continue;
        }
        state.lastTs = reading.ts;
        state.lastValue = verdict.value;
        this.#dirty.add(key);
        const fired = applyDuration(state, possibleLevels(rule), verdict.raw, reading.ts, rule.forSec);
        const c = corroborationOf(rule);
        if (!c) {
          if (fired !== state.active) this.#transition(out, station, rule, state, fired, verdict, nowMs);
          continue;
        }
        this.#lastVerdict.set(key, verdict);
        this.#corroborate(out, station, rule, c, state, fired, verdict, nowMs);
      }
    }
    return { transitions: out, readings: ordered, flagged };
  }

  /** The stale check, run by a timer: every station × every stale rule in force for it. */
  checkStale(stations: Iterable<Station>, nowMs: number): RuleTransition[] {
    const out: RuleTransition[] = [];
    const staleRules = this.#rules.filter((r): r is StaleRule => r.kind === 'stale' && r.enabled);
    if (staleRules.length === 0) return out;
    for (const station of stations) {
      for (const rule of rulesForStation(this.#rules, station)) {
        if (rule.kind !== 'stale') continue;
        const key = stateKey(station.id, rule.id);
        let state = this.#states.get(key);
        if (!state) {
          // Never heard of since this state began: count the silence from the engine's start.
          state = { ...emptyRuleState(), lastSeenMs: this.#startedMs };
          this.#states.set(key, state);
          this.#dirty.add(key);
        }
        const verdict = evaluateStale(rule, station, state.lastSeenMs ?? this.#startedMs, nowMs);
        if (verdict.raw !== state.active) this.#transition(out, station, rule, state, verdict.raw, verdict, nowMs);
      }
    }
    return out;
  }

  /**
   * The leader's cross-station pass (cluster): takes every node's saved states — each station's
   * own level under corroborated rules, and when it was last heard from — then decides each
   * corroborated station's level from its whole group, and each station's staleness. The
   * leader's own levels stay its memory (it alone moves them); a new leader starts from the
   * open alerts (`adoptActive`).
   */
  async checkCrossStation(stations: Iterable<Station>, nowMs: number): Promise<RuleTransition[]> {
    const stored = await this.#store.loadStates();
    const byId = new Map(this.#rules.map((r) => [r.id, r]));
    const corroborated: Array<[string, Rule, RuleState]> = [];
    for (const [key, saved] of stored) {
      const [stationId, ruleId] = splitKey(key);
      const rule = byId.get(ruleId);
      if (!rule || !rule.enabled) continue;
      const c = corroborationOf(rule);
      if (rule.kind !== 'stale' && !c) continue;
      let mine = this.#states.get(key);
      if (!mine) {
        mine = { ...saved, active: null };
        this.#states.set(key, mine);
      }
      if (rule.kind === 'stale') {
        mine.lastSeenMs = Math.max(mine.lastSeenMs ?? 0, saved.lastSeenMs ?? 0) || undefined;
        continue;
      }
      if (!this.#dirty.has(key)) {
        // The serving node's view of the station alone (this node's own, when unsaved, is newer).
        mine.uncapped = saved.uncapped ?? null;
        if (saved.lastValue !== undefined) mine.lastValue = saved.lastValue;
      }
      this.#setUncapped(stationId, ruleId, mine.uncapped ?? null);
      corroborated.push([stationId, rule, mine]);
    }
    const out: RuleTransition[] = [];
    for (const [stationId, rule, state] of corroborated) {
      const station = this.#station(stationId);
      const c = corroborationOf(rule)!;
      if (!station) continue;
      const uncapped = state.uncapped ?? null;
      const count = this.#agreeing(rule.id, c, groupOf(station, c), stationId);
      const level = count >= c.k ? uncapped : capBelow(uncapped, c, possibleLevels(rule));
      if (level === state.active) continue;
      const key = stateKey(stationId, rule.id);
      const verdict = this.#lastVerdict.get(key) ?? { raw: uncapped, value: state.lastValue ?? 0, describe: () => rule.name };
      this.#dirty.add(key);
      this.#transition(out, station, rule, state, level, this.#withCount(verdict, c, count), nowMs);
    }
    out.push(...this.checkStale(stations, nowMs));
    return out;
  }

  /** Forgets the states of a deleted station (in the store too, at the next flush). */
  forgetStation(stationId: string): void {
    this.#seen.delete(stationId);
    for (const m of this.#uncapped.values()) m.delete(stationId);
    for (const key of [...this.#states.keys()]) {
      if (splitKey(key)[0] !== stationId) continue;
      this.#states.delete(key);
      this.#lastVerdict.delete(key);
      this.#dirty.add(key);
    }
  }

  /**
   * Saves changed states to the store (kept dirty for the next try when it fails): the keys
   * dirty now, in slices of FLUSH_SLICE_STATES per transaction with a turn of the event loop
   * between them — every reading changes its station's states, so one timer flush is hundreds
   * of rows, and as one synchronous transaction it held up everything else in the process (a
   * warning's webhook among it) for milliseconds. Each slice writes its states as they are when
   * it runs; one changed again meanwhile is saved by the next flush.
   */
  async flush(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const keys = [...this.#dirty];
    for (let i = 0; i < keys.length; i += FLUSH_SLICE_STATES) {
      if (i > 0) await nextTurn();
      // Taken by a commit meanwhile (takeTransitionStates) and not changed since: nothing to save.
      const slice = keys.slice(i, i + FLUSH_SLICE_STATES).filter((k) => this.#dirty.has(k));
      if (slice.length > 0) await this.#save(slice);
    }
  }

  async #save(keys: string[]): Promise<void> {
    for (const k of keys) this.#dirty.delete(k);
    try {
      await this.#store.saveStates(keys.map((k) => [k, this.#states.get(k)]));
    } catch (err) {
      for (const k of keys) this.#dirty.add(k);
      throw err;
    }
  }

  /**
   * The states these transitions changed, copied as they are now, for the flush that commits
   * the transitions (their level must survive a crash together with the alert, in the same
   * transaction); they are no longer dirty — `markDirty` puts them back when that commit fails.
   * The rest of what changed waits for the next `flush()`.
   */
  takeTransitionStates(transitions: readonly RuleTransition[]): Array<[string, RuleState | undefined]> {
    const out: Array<[string, RuleState | undefined]> = [];
    for (const t of transitions) {
      const key = stateKey(t.station.id, t.rule.id);
      if (!this.#dirty.delete(key)) continue;
      const state = this.#states.get(key);
      out.push([key, state ? structuredClone(state) : undefined]);
    }
    return out;
  }

  /** States to save again at the next `flush()` (a commit that took them failed). */
  markDirty(keys: Iterable<string>): void {
    for (const key of keys) this.#dirty.add(key);
  }

  /** Step 1 for one data_quality rule: returns the readings with its flags applied. */
  #checkQuality(out: RuleTransition[], flagged: FlaggedValue[], station: Station, rule: DataQualityRule, key: string, readings: readonly Reading[], nowMs: number): readonly Reading[] {
    let changed: Reading[] | undefined;
    for (let i = 0; i < readings.length; i++) {
      const reading = readings[i]!;
      const state = this.#states.get(key) ?? emptyRuleState();
      const value = reading.values[rule.metric];
      if (!value || reading.ts < state.lastTs) continue;
      let flag: QualityFlag | null = null;
      if (reading.ts === state.lastTs) {
        flag = state.quality?.lastFlag ?? null; // a resend: flagged the same way again
      } else {
        const check = evaluateDataQuality(rule, station, reading, state);
        if (!check) continue;
        this.#states.set(key, state);
        this.#dirty.add(key);
        state.lastTs = reading.ts;
        state.lastValue = value.v;
        flag = check.flag;
        const fired = applyDuration(state, possibleLevels(rule), check.verdict.raw, reading.ts, rule.forSec);
        if (fired !== state.active) this.#transition(out, station, rule, state, fired, check.verdict, nowMs);
      }
      if (flag === null || value.q === flag) continue;
      changed ??= [...readings];
      changed[i] = { ...reading, values: { ...reading.values, [rule.metric]: { v: value.v, q: flag } } };
      flagged.push({ metric: rule.metric, ts: reading.ts, flag, ruleId: rule.id });
    }
    return changed ?? readings;
  }

  /** Step 4: the level the station raises alone (`uncapped`) against its group's. */
  #corroborate(out: RuleTransition[], station: Station, rule: Rule, c: Corroborate, state: RuleState, uncapped: WarningLevel | null, verdict: RuleVerdict, nowMs: number): void {
    const before = state.uncapped ?? null;
    state.uncapped = uncapped;
    this.#setUncapped(station.id, rule.id, uncapped);
    // Cluster: the group's other stations report to other nodes; the leader decides (checkCrossStation).
    if (this.#crossOnLeader) return;
    const group = groupOf(station, c);
    const count = this.#agreeing(rule.id, c, group, station.id);
    const level = count >= c.k ? uncapped : capBelow(uncapped, c, possibleLevels(rule));
    if (level !== state.active) this.#transition(out, station, rule, state, level, this.#withCount(verdict, c, count), nowMs);
    if (needsCorroboration(before, c) === needsCorroboration(uncapped, c) || group === undefined) return;
    // This station joined or left the agreeing ones: the others of its group may change level.
    for (const [peerId, peerLevel] of this.#uncapped.get(rule.id) ?? []) {
      if (peerId === station.id || !needsCorroboration(peerLevel, c)) continue;
      const peer = this.#station(peerId);
      if (!peer || groupOf(peer, c) !== group) continue;
      const key = stateKey(peerId, rule.id);
      const peerState = this.#states.get(key);
      if (!peerState) continue;
      const peerEffective = count >= c.k ? peerLevel : capBelow(peerLevel, c, possibleLevels(rule));
      if (peerEffective === peerState.active) continue;
      const peerVerdict = this.#lastVerdict.get(key) ?? { raw: peerLevel, value: peerState.lastValue ?? 0, describe: () => rule.name };
      this.#dirty.add(key);
      this.#transition(out, peer, rule, peerState, peerEffective, this.#withCount(peerVerdict, c, count), nowMs);
    }
  }

  /** Stations of `group` (counting `self` when it agrees) whose own level reaches `c.minLevel`. */
  #agreeing(ruleId: string, c: Corroborate, group: string | undefined, self: string): number {
    const levels = this.#uncapped.get(ruleId);
    if (!levels) return 0;
    if (group === undefined) return needsCorroboration(levels.get(self) ?? null, c) ? 1 : 0;
    let n = 0;
    for (const [id, level] of levels) {
      if (!needsCorroboration(level, c)) continue;
      const s = (id === self ? this.#seen.get(id) : undefined) ?? this.#station(id);
      if (s && groupOf(s, c) === group) n++;
    }
    return n;
  }

  #withCount(verdict: RuleVerdict, c: Corroborate, count: number): RuleVerdict {
    return {
      ...verdict,
      describe: (level) =>
        needsCorroboration(level, c)
          ? `${verdict.describe(level)}（${CORROBORATION_GROUP_LABEL[c.group]} ${count} 站同时达到${WARNING_LEVEL_INFO[c.minLevel].label}）`
          : verdict.describe(level),
    };
  }

  #setUncapped(stationId: string, ruleId: string, level: WarningLevel | null): void {
    let m = this.#uncapped.get(ruleId);
    if (level === null) {
      m?.delete(stationId);
      return;
    }
    if (!m) this.#uncapped.set(ruleId, (m = new Map()));
    m.set(stationId, level);
  }

  /** rulesForStation and their state keys, cached per station object (checked against the fields a scope reads). */
  #rulesFor(station: Station): { readonly rules: Rule[]; readonly keys: string[] } {
    const cached = this.#forStation.get(station);
    if (cached && cached.id === station.id && cached.domain === station.domain && cached.department === station.department) return cached;
    const rules = rulesForStation(this.#rules, station);
    const fresh = { id: station.id, domain: station.domain, department: station.department, rules, keys: rules.map((r) => stateKey(station.id, r.id)) };
    this.#forStation.set(station, fresh);
    return fresh;
  }

  #station(id: string): Station | undefined {
    return this.#stationLookup?.(id) ?? this.#seen.get(id);
  }

  #reportOnce(key: string, station: Station, rule: Rule, err: unknown): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#logger.warn({ stationId: station.id, ruleId: rule.id, err }, 'rule cannot evaluate this station (check its attributes)');
  }

  #transition(out: RuleTransition[], station: Station, rule: Rule, state: RuleState, to: WarningLevel | null, verdict: RuleVerdict, nowMs: number): void {
    const from = state.active;
    state.active = to;
    const level = to ?? from;
    out.push({ station, rule, from, to, value: verdict.value, condition: level ? verdict.describe(level) : '', at: nowMs });
  }
}
