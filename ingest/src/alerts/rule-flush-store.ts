/**
 * The store side of one flush of the rules: every alert change the flush made, in order, and
 * the rule states behind them, in ONE transaction — all or nothing. An alert change is decided
 * on its row as read (and locked) inside that transaction, exactly as AlertStore.transition
 * decides a single one; so two changes of one (station, rule) in one flush (fired, then
 * resolved) see each other, and one open alert per (station, rule) stays a database constraint.
 */
import type { Alert, AlertEvent } from './alert.ts';
import type { AlertChange, AlertTarget } from './alert-store.ts';
import type { OutboxInput } from '../webhooks/outbox-store.ts';
import type { RuleState } from '../rules/rule-state.ts';

/** One alert change of a flush (what AlertStore.transition takes). */
export interface AlertChangeRequest {
  readonly target: AlertTarget;
  readonly decide: (current: Alert | undefined) => AlertChange | undefined;
  readonly deliveries: (alert: Alert, event: AlertEvent) => readonly OutboxInput[];
}

export interface RuleFlushStore {
  /**
   * Applies `changes` in order, then writes `states` (by stateKey; undefined deletes), in one
   * transaction. Returns each change's outcome, index for index (undefined: nothing changed).
   * A lost race to open an alert (another node) runs the whole flush again, deciding anew.
   */
  commit(changes: readonly AlertChangeRequest[], states: ReadonlyArray<readonly [string, RuleState | undefined]>): Promise<Array<{ alert: Alert; event: AlertEvent } | undefined>>;
}
