/**
 * Evaluates rules in the stream: for every accepted reading, every enabled rule that applies to
 * the station, step by step — evaluator (trustworthy values only) → `forSec` duration → compare
 * with the level the rule raised before. What changes becomes a RuleTransition for the alert
 * lifecycle. State per (station, rule) lives in a Map, saved to SQLite every
 * `flushIntervalMs` and at every transition, so durations and windows survive a restart.
 */
import type { Logger } from 'pino';
import type { Reading, Station, WarningLevel } from '@shanshui/models';
import type { Rule, StaleRule } from './rule-schema.ts';
import { possibleLevels } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import { emptyRuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { RuleStore, stateKey, splitKey } from './rule-store.ts';
import { applyDuration } from './apply-duration.ts';
import { evaluateThreshold } from './evaluate-threshold.ts';
import { evaluateRateOfChange } from './evaluate-rate-of-change.ts';
import { evaluateClassification } from './evaluate-classification.ts';
import { evaluateStale } from './evaluate-stale.ts';

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
  #rules: Rule[] = [];

  constructor(store: RuleStore, logger: Logger, nowMs: number = Date.now()) {
    this.#store = store;
    this.#logger = logger;
    this.#states = store.loadStates();
    this.#startedMs = nowMs;
    this.reload();
  }

  get rules(): readonly Rule[] {
    return this.#rules;
  }

  /** Re-reads the rules after a change. Keeps each (station, rule) state's active level, drops its timing. */
  reload(changedRuleId?: string): void {
    this.#rules = this.#store.all();
    if (changedRuleId === undefined) return;
    for (const [key, state] of this.#states) {
      if (splitKey(key)[1] !== changedRuleId) continue;
      state.since = {};
      delete state.samples;
      this.#dirty.add(key);
    }
  }

  /** Forgets every state of a deleted rule. */
  forgetRule(ruleId: string): void {
    for (const key of [...this.#states.keys()]) {
      if (splitKey(key)[1] === ruleId) {
        this.#states.delete(key);
        this.#dirty.delete(key);
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

  evaluate(station: Station, readings: readonly Reading[], nowMs: number): RuleTransition[] {
    const out: RuleTransition[] = [];
    const rules = rulesForStation(this.#rules, station);
    if (rules.length === 0) return out;
    const ordered = readings.length > 1 ? [...readings].sort((a, b) => a.ts - b.ts) : readings;
    for (const rule of rules) {
      const key = stateKey(station.id, rule.id);
      let state = this.#states.get(key);
      if (rule.kind === 'stale') {
        state ??= emptyRuleState();
        const silence = evaluateStale(rule, station, state.lastSeenMs ?? nowMs, nowMs);
        state.lastSeenMs = nowMs;
        this.#states.set(key, state);
        this.#dirty.add(key);
        if (state.active !== null) this.#transition(out, station, rule, state, null, silence, nowMs);
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
                : evaluateClassification(rule, station, reading);
        } catch (err) {
          if (!this.#reported.has(key)) {
            this.#reported.add(key);
            this.#logger.warn({ stationId: station.id, ruleId: rule.id, err: String(err) }, 'rule cannot evaluate this station (check its attributes)');
          }
          continue;
        }
        if (!verdict) continue;
        if (!state) {
          state = s;
          this.#states.set(key, state);
        }
        state.lastTs = reading.ts;
        state.lastValue = verdict.value;
        this.#dirty.add(key);
        const fired = applyDuration(state, possibleLevels(rule), verdict.raw, reading.ts, rule.forSec);
        if (fired !== state.active) this.#transition(out, station, rule, state, fired, verdict, nowMs);
      }
    }
    return out;
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

  /** Forgets the states of a deleted station. */
  forgetStation(stationId: string): void {
    for (const key of [...this.#states.keys()]) if (splitKey(key)[0] === stationId) this.#states.delete(key);
  }

  /** Saves changed states to SQLite. */
  flush(): void {
    if (this.#dirty.size === 0) return;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    this.#store.saveStates(keys.map((k) => [k, this.#states.get(k)]));
  }

  #transition(out: RuleTransition[], station: Station, rule: Rule, state: RuleState, to: WarningLevel | null, verdict: RuleVerdict, nowMs: number): void {
    const from = state.active;
    state.active = to;
    const level = to ?? from;
    out.push({ station, rule, from, to, value: verdict.value, condition: level ? verdict.describe(level) : '', at: nowMs });
  }
}
