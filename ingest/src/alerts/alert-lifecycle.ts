/**
 * The alert lifecycle: rule transitions and acknowledgements become alert changes —
 * fired (new open alert), escalated (level rose; an acknowledged alert fires again),
 * acknowledged (who, when, note), resolved (the rule no longer raises a level). A drop to a
 * lower, still non-null level changes nothing (the alert keeps its highest level).
 *
 * Each change is written in a store transaction: the alert row, its event and one outbox row
 * per matching subscription, decided on the row as locked there, so two nodes never both open,
 * escalate or resolve the same alert. A flush of the rules (applyFlush) writes all its changes
 * and the rule states behind them in ONE transaction (RuleFlushStore); an acknowledgement or a
 * resolution by hand is one of its own (AlertStore.transition). Then, off the transaction, each
 * change goes to InfluxDB `alerts` through the spool (not awaited: a full spool queues it for
 * later, see RetryingAppender) and the delivery worker is kicked.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { WARNING_LEVEL_INFO, warningLevelRank } from '@shanshui/models';
import type { Station, WarningLevel } from '@shanshui/models';
import type { PointSink } from '../spool/retrying-appender.ts';
import { toLineProtocol } from '../store/influx-http.ts';
import type { RuleTransition } from '../rules/rule-engine.ts';
import type { Alert, AlertEvent } from './alert.ts';
import type { AlertChange, AlertStore, AlertTarget } from './alert-store.ts';
import type { AlertChangeRequest, RuleFlushStore } from './rule-flush-store.ts';
import type { RuleState } from '../rules/rule-state.ts';
import { alertPoint } from './alert-point.ts';
import type { WebhookPublisher } from '../webhooks/webhook-publisher.ts';

export interface AlertLifecycleDeps {
  readonly alerts: AlertStore;
  /** Where a flush of the rules commits (its changes and rule states in one transaction). */
  readonly flushes: RuleFlushStore;
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

  /** Applies a rule transition in a transaction of its own; returns the event it made, if any. */
  async apply(t: RuleTransition): Promise<AlertEvent | undefined> {
    const { target, decide } = this.#request(t);
    return (await this.#change(target, decide))?.event;
  }

  /**
   * A flush of the rules: its transitions, in the order the rules made them, and the rule
   * states behind them (`states`, by stateKey), in one store transaction — all or nothing.
   * Returns the events made, in order.
   */
  async applyFlush(transitions: readonly RuleTransition[], states: ReadonlyArray<readonly [string, RuleState | undefined]>): Promise<AlertEvent[]> {
    const results = await this.#d.flushes.commit(
      transitions.map((t) => this.#request(t)),
      states,
    );
    const events: AlertEvent[] = [];
    for (const r of results) {
      if (!r) continue;
      this.#after(r.alert, r.event);
      events.push(r.event);
    }
    return events;
  }

  /** A rule transition as a store request: decided on the (station, rule)'s open alert as the transaction reads it. */
  #request(t: RuleTransition): AlertChangeRequest {
    const at = new Date(t.at).toISOString();
    const decide = (open: Alert | undefined): AlertChange | undefined => {
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
          return { alert, insert: true, type: 'firing', message, by: null, at };
        }
        // A level that falls but stays a warning changes nothing (the alert keeps its highest level).
        if (warningLevelRank(t.to) <= warningLevelRank(open.level)) return undefined;
        const escalated: Alert = { ...open, level: t.to, state: 'firing', value: t.value, message, updatedAt: at, escalatedAt: at };
        return { alert: escalated, insert: false, type: 'escalated', message, by: null, at };
      }
      if (!open) return undefined;
      const message = `${t.station.name} ${t.condition} 已解除（原${label(open.level)}）`;
      return { alert: { ...open, state: 'resolved', value: t.value, updatedAt: at, resolvedAt: at }, insert: false, type: 'resolved', message, by: null, at };
    };
    return { target: { stationId: t.station.id, ruleId: t.rule.id }, decide, deliveries: this.#deliveries };
  }

  readonly #deliveries = (alert: Alert, event: AlertEvent): ReturnType<AlertChangeRequest['deliveries']> => this.#d.publisher.deliveriesFor(alert, event, this.#d.station(alert.stationId));

  async acknowledge(id: string, by: string, note: string | undefined, nowMs: number = Date.now()): Promise<Alert> {
    const at = new Date(nowMs).toISOString();
    const result = await this.#change({ alertId: id }, (alert) => {
      if (!alert) throw new AlertError('ALERT_ERR_NOT_FOUND', `no alert ${id}`);
      if (alert.state !== 'firing') throw new AlertError('ALERT_ERR_STATE', `alert ${id} is ${alert.state}; only a firing alert can be acknowledged`);
      const acked: Alert = { ...alert, state: 'acknowledged', acknowledgedBy: by, acknowledgedAt: at, ackNote: note ?? null, updatedAt: at };
      return { alert: acked, insert: false, type: 'acknowledged', message: `${alert.message}，已由 ${by} 确认${note ? `：${note}` : ''}`, by, at };
    });
    return result!.alert;
  }

  /** Resolves every open alert of a rule (the rule was deleted or disabled). */
  resolveRule(ruleId: string, reason: string, nowMs: number = Date.now()): Promise<number> {
    return this.#resolveAll((a) => a.ruleId === ruleId, reason, nowMs);
  }

  /** Resolves every open alert of a station (the station was deleted). */
  resolveStation(stationId: string, reason: string, nowMs: number = Date.now()): Promise<number> {
    return this.#resolveAll((a) => a.stationId === stationId, reason, nowMs);
  }

  async #resolveAll(which: (a: Alert) => boolean, reason: string, nowMs: number): Promise<number> {
    const at = new Date(nowMs).toISOString();
    let n = 0;
    for (const a of (await this.#d.alerts.allOpen()).filter(which)) {
      const result = await this.#change({ alertId: a.id }, (current) => {
        if (!current || current.state === 'resolved') return undefined; // resolved meanwhile (another node)
        const message = `${current.stationName} ${current.ruleName} 已解除（${reason}，原${label(current.level)}）`;
        return { alert: { ...current, state: 'resolved', updatedAt: at, resolvedAt: at }, insert: false, type: 'resolved', message, by: null, at };
      });
      if (result) n++;
    }
    return n;
  }

  async #change(target: AlertTarget, decide: (current: Alert | undefined) => AlertChange | undefined): Promise<{ alert: Alert; event: AlertEvent } | undefined> {
    const result = await this.#d.alerts.transition(target, decide, this.#deliveries);
    if (result) this.#after(result.alert, result.event);
    return result;
  }

  #after(alert: Alert, event: AlertEvent): void {
    this.#d.metrics.alertTransitions.inc({ state: event.type, level: event.level });
    this.#d.logger.info({ alertId: alert.id, stationId: alert.stationId, ruleId: alert.ruleId, event: event.type, level: event.level }, event.message);
    this.#d.points.write(toLineProtocol([alertPoint(alert, event)]));
    this.#d.onChange(alert, event);
  }
}
