/**
 * Alerts and their events. A unique partial index allows exactly one open (not resolved)
 * alert per (station, rule), whatever the callers do, on every node.
 */
import type { Alert, AlertEvent, AlertEventType } from './alert.ts';
import type { OutboxInput } from '../webhooks/outbox-store.ts';

export interface AlertFilter {
  readonly state: 'active' | 'all' | 'firing' | 'acknowledged' | 'resolved';
  readonly department?: string;
  /** Only these departments (a token's scope); undefined = all. */
  readonly departments?: readonly string[];
  readonly domain?: string;
  /** Region code prefix (440106 matches 440106001…; 4401 matches every district of 广州). */
  readonly region?: string;
  readonly level?: string;
  readonly station?: string;
  readonly rule?: string;
  readonly limit: number;
  readonly beforeOpenedAt?: string;
}

/** An alert as it is after a change, and the event that records the change. */
export interface AlertChange {
  readonly alert: Alert;
  /** True for a new open alert (the store refuses a second open one for its station and rule). */
  readonly insert: boolean;
  readonly type: AlertEventType;
  readonly message: string;
  readonly by: string | null;
  readonly at: string;
}

/** Which alert a change is about: the open one of a (station, rule), or one by id. */
export type AlertTarget = { readonly stationId: string; readonly ruleId: string } | { readonly alertId: string };

export interface AlertStore {
  get(id: string): Promise<Alert | undefined>;
  openFor(stationId: string, ruleId: string): Promise<Alert | undefined>;
  allOpen(): Promise<Alert[]>;
  events(alertId: string): Promise<AlertEvent[]>;
  list(f: AlertFilter): Promise<{ items: Alert[]; total: number }>;
  /**
   * One alert change, atomically: reads the target's current alert (locked against other
   * nodes), asks `decide` what changes (undefined: nothing; it may throw to refuse), then writes
   * the alert, its event (numbered `{alertId}-{n}`) and the outbox rows `deliveries` returns —
   * all or nothing. One open alert per (station, rule) is a database constraint: a node that
   * loses the race to open one reads the winner's and decides again.
   */
  transition(
    target: AlertTarget,
    decide: (current: Alert | undefined) => AlertChange | undefined,
    deliveries: (alert: Alert, event: AlertEvent) => readonly OutboxInput[],
  ): Promise<{ alert: Alert; event: AlertEvent } | undefined>;
}
