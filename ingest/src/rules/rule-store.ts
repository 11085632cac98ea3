/**
 * Rules, their audit trail and their per-(station, rule) state. Definitions are stored as JSON
 * and validated again on load, so a row written by an older version that no longer validates is
 * reported, not trusted. Rule state lives in the store (not only in one process's memory), so
 * another node carries a station's durations, windows and baselines on after a failover.
 */
import { randomBytes } from 'node:crypto';
import { RuleInputSchema } from './rule-schema.ts';
import type { Rule, RuleInput } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';

export interface RuleAuditEntry {
  readonly id: number;
  readonly ruleId: string;
  readonly action: 'create' | 'update' | 'delete' | 'seed';
  readonly by: string;
  readonly at: string;
  readonly definition: unknown;
}

export interface RuleStore {
  /** Every rule that still validates, by id. */
  all(): Promise<Rule[]>;
  get(id: string): Promise<Rule | undefined>;
  /** Inserts or replaces `rule`, with an audit entry. Returns false on create when the id exists, on update when it does not. */
  save(rule: Rule, action: 'create' | 'update' | 'seed', by: string): Promise<boolean>;
  /** Deletes a rule and its states, with an audit entry; false when there is no such rule. */
  remove(id: string, by: string): Promise<boolean>;
  audit(ruleId: string): Promise<RuleAuditEntry[]>;
  /** Seeds `defaults` once per database: deleting a default rule later sticks. Returns how many were added. */
  seedOnce(defaults: readonly RuleInput[]): Promise<number>;
  /**
   * Seeds each default once per id (the catalogue's domain defaults): a database made before a
   * domain existed gets its rules; one deleted later stays deleted; an existing rule of the same
   * id is left alone. Returns how many were added.
   */
  seedEach(defaults: readonly RuleInput[]): Promise<number>;
  /** Rule states by stateKey: all of them, or of one station (a node taking it over). */
  loadStates(stationId?: string): Promise<Map<string, RuleState>>;
  /** Writes states (undefined deletes), in one transaction. */
  saveStates(entries: Iterable<[string, RuleState | undefined]>): Promise<void>;
}

/** Validates a definition (throws ZodError) and fills in defaults and the id. */
export function toRule(input: unknown, id?: string): Rule {
  const parsed = RuleInputSchema.parse(input);
  return { ...parsed, id: id ?? parsed.id ?? `r-${randomBytes(5).toString('hex')}` } as Rule;
}

export function stateKey(stationId: string, ruleId: string): string {
  return `${stationId}\u0000${ruleId}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
