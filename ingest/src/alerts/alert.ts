/** An alert: one per (station, rule) while it lasts; its lifecycle firing → acknowledged → resolved. */
import type { WarningLevel } from '@shanshui/models';

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What happened to an alert: the `state` tag in InfluxDB and the webhook event type. */
export const ALERT_EVENTS = ['firing', 'escalated', 'acknowledged', 'resolved'] as const;
export type AlertEventType = (typeof ALERT_EVENTS)[number];

export interface Alert {
  readonly id: string;
  readonly stationId: string;
  readonly stationName: string;
  readonly ruleId: string;
  readonly ruleName: string;
  readonly ruleKind: string;
  readonly domain: string;
  readonly region: string;
  readonly department: string;
  readonly level: WarningLevel;
  readonly state: AlertState;
  /** Latest value that fired or escalated it (or cleared it, once resolved). */
  readonly value: number;
  readonly message: string;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly escalatedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: string | null;
  readonly ackNote: string | null;
  readonly resolvedAt: string | null;
}

export interface AlertEvent {
  /** `{alertId}-{n}`: the idempotency key of every delivery of this event. */
  readonly id: string;
  readonly alertId: string;
  readonly type: AlertEventType;
  readonly level: WarningLevel;
  readonly value: number;
  readonly message: string;
  readonly at: string;
  readonly by: string | null;
}
