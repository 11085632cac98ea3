/**
 * The alert lifecycle: rule transitions and acknowledgements become alert changes —
 * fired (new open alert), escalated (level rose; an acknowledged alert fires again),
 * acknowledged (who, when, note), resolved (the rule no longer raises a level). A drop to a
 * lower, still non-null level changes nothing (the alert keeps its highest level).
 *
 * Each change is one SQLite transaction: the alert row, its event and one outbox row per
 * matching subscription. Then, off the transaction, the change goes to InfluxDB `alerts`
 * through the spool (not awaited: the ingest path never waits on it; a full spool queues it
 * for later, see RetryingAppender) and the delivery worker is kicked.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { WARNING_LEVEL_INFO, warningLevelRank } from '@shanshui/models';
import type { Station, WarningLevel } from '@shanshui/models';
import type { DatabaseSync } from 'node:sqlite';
import type { PointSink } from '../spool/retrying-appender.ts';
import { toLineProtocol } from '../store/influx-http.ts';
import { inTransaction } from '../state/in-transaction.ts';
import type { RuleTransition } from '../rules/rule-engine.ts';
import type { Alert, AlertEvent, AlertEventType } from './alert.ts';
import type { AlertStore } from './alert-store.ts';
import { alertPoint } from './alert-point.ts';
import type { WebhookPublisher } from '../webhooks/webhook-publisher.ts';

export interface AlertLifecycleDeps {
  readonly db: DatabaseSync;
  readonly alerts: AlertStore;
  readonly publisher: WebhookPublisher;
  /** InfluxDB `alerts` points go here (through the spool; retried, never awaited). */
  readonly points: PointSink;
  readonly logger: Logger;
  readonly metrics: { readonly alertTransitions: Counter<'state' | 'level'> };
  readonly station: (id: string) => Station | undefined;
  /** Called after each committed change with the alert as it now is and what happened (kicks the delivery worker, feeds the web app's live stream). */
  readonly onChange: (alert: Alert, event: AlertEvent) => void;
}

export class AlertError extends Error {
  readonly code: 'ALERT_ERR_NOT_FOUND' | 'ALERT_ERR_STATE';
  constructor(code: AlertError['code'], message: string) {
    super(message);
    this.name = 'AlertError';
    this.code = code;
  }
}

const label = (level: WarningLevel): string => WARNING_LEVEL_INFO[level].label;

export class AlertLifecycle {
  readonly #d: AlertLifecycleDeps;

  constructor(deps: AlertLifecycleDeps) {
    this.#d = deps;
  }

  apply(t: RuleTransition): AlertEvent | undefined {
    // Nothing to change (a level that falls but stays a warning, a clear without an open alert):
    // no transaction. The same checks run again inside it (all synchronous, so nothing interleaves).
    const current = this.#d.alerts.openFor(t.station.id, t.rule.id);
    if (t.to === null ? !current : current !== undefined && warningLevelRank(t.to) <= warningLevelRank(current.level)) return undefined;
    const at = new Date(t.at).toISOString();
    const result = inTransaction(this.#d.db, () => {
      const open = this.#d.alerts.openFor(t.station.id, t.rule.id);
      if (t.to !== null) {
        const message = `${t.station.name} ${t.condition}（${label(t.to)}）`;
        if (!open) {
          const alert: Alert = {
            id: `al-${t.at.toString(36)}-${randomBytes(4).toString('hex')}`,
            stationId: t.station.id,
            stationName: t.station.name,
            ruleId: t.rule.id,
            ruleName: t.rule.name,
            ruleKind: t.rule.kind,
            domain: t.station.domain,
            region: t.station.region,
            department: t.station.department,
            level: t.to,
            state: 'firing',
            value: t.value,
            message,
            openedAt: at,
            updatedAt: at,
            escalatedAt: null,
            acknowledgedBy: null,
            acknowledgedAt: null,
            ackNote: null,
            resolvedAt: null,
          };
          this.#d.alerts.insert(alert);
          return this.#record(alert, 'firing', message, null, at);
        }
        if (warningLevelRank(t.to) <= warningLevelRank(open.level)) return undefined;
        const escalated: Alert = { ...open, level: t.to, state: 'firing', value: t.value, message, updatedAt: at, escalatedAt: at };
        this.#d.alerts.update(escalated);
        return this.#record(escalated, 'escalated', message, null, at);
      }
      if (!open) return undefined;
      const message = `${t.station.name} ${t.condition} 已解除（原${label(open.level)}）`;
      const resolved: Alert = { ...open, state: 'resolved', value: t.value, updatedAt: at, resolvedAt: at };
      this.#d.alerts.update(resolved);
      return this.#record(resolved, 'resolved', message, null, at);
    });
    if (result) this.#after(result.alert, result.event);
    return result?.event;
  }

  acknowledge(id: string, by: string, note: string | undefined, nowMs: number = Date.now()): Alert {
    const at = new Date(nowMs).toISOString();
    const result = inTransaction(this.#d.db, () => {
      const alert = this.#d.alerts.get(id);
      if (!alert) throw new AlertError('ALERT_ERR_NOT_FOUND', `no alert ${id}`);
      if (alert.state !== 'firing') throw new AlertError('ALERT_ERR_STATE', `alert ${id} is ${alert.state}; only a firing alert can be acknowledged`);
      const acked: Alert = { ...alert, state: 'acknowledged', acknowledgedBy: by, acknowledgedAt: at, ackNote: note ?? null, updatedAt: at };
      this.#d.alerts.update(acked);
      return this.#record(acked, 'acknowledged', `${alert.message}，已由 ${by} 确认${note ? `：${note}` : ''}`, by, at);
    });
    this.#after(result.alert, result.event);
    return result.alert;
  }

  /** Resolves every open alert of a rule (the rule was deleted or disabled). */
  resolveRule(ruleId: string, reason: string, nowMs: number = Date.now()): number {
    return this.#resolveAll((a) => a.ruleId === ruleId, reason, nowMs);
  }

  /** Resolves every open alert of a station (the station was deleted). */
  resolveStation(stationId: string, reason: string, nowMs: number = Date.now()): number {
    return this.#resolveAll((a) => a.stationId === stationId, reason, nowMs);
  }

  #resolveAll(which: (a: Alert) => boolean, reason: string, nowMs: number): number {
    const at = new Date(nowMs).toISOString();
    const open = this.#d.alerts.allOpen().filter(which);
    for (const a of open) {
      const result = inTransaction(this.#d.db, () => {
        const resolved: Alert = { ...a, state: 'resolved', updatedAt: at, resolvedAt: at };
        this.#d.alerts.update(resolved);
        return this.#record(resolved, 'resolved', `${a.stationName} ${a.ruleName} 已解除（${reason}，原${label(a.level)}）`, null, at);
      });
      this.#after(result.alert, result.event);
    }
    return open.length;
  }

  #record(alert: Alert, type: AlertEventType, message: string, by: string | null, at: string): { alert: Alert; event: AlertEvent } {
    const event = this.#d.alerts.addEvent(alert, type, message, by, at);
    this.#d.publisher.publish(alert, event, this.#d.station(alert.stationId), Date.parse(at));
    return { alert, event };
  }

  #after(alert: Alert, event: AlertEvent): void {
    this.#d.metrics.alertTransitions.inc({ state: event.type, level: event.level });
    this.#d.logger.info({ alertId: alert.id, stationId: alert.stationId, ruleId: alert.ruleId, event: event.type, level: event.level }, event.message);
    this.#d.points.write(toLineProtocol([alertPoint(alert, event)]));
    this.#d.onChange(alert, event);
  }
}
