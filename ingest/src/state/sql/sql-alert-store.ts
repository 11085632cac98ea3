/** AlertStore in SQL: each transition one transaction (PostgreSQL: the alert row locked FOR UPDATE). */
import type { Alert, AlertEvent, AlertEventType } from '../../alerts/alert.ts';
import type { AlertChange, AlertFilter, AlertStore, AlertTarget } from '../../alerts/alert-store.ts';
import type { OutboxInput } from '../../webhooks/outbox-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';
import { insertOutboxRows } from './sql-outbox-store.ts';
import { isUniqueViolation } from './unique-violation.ts';

interface AlertRow {
  id: string;
  station_id: string;
  station_name: string;
  rule_id: string;
  rule_name: string;
  rule_kind: string;
  domain: string;
  region: string;
  department: string;
  level: string;
  state: string;
  value: number;
  message: string;
  opened_at: string;
  updated_at: string;
  escalated_at: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  ack_note: string | null;
  resolved_at: string | null;
}

function rowToAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    stationId: r.station_id,
    stationName: r.station_name,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    ruleKind: r.rule_kind,
    domain: r.domain,
    region: r.region,
    department: r.department,
    level: r.level as Alert['level'],
    state: r.state as Alert['state'],
    value: r.value,
    message: r.message,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    escalatedAt: r.escalated_at,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at,
    ackNote: r.ack_note,
    resolvedAt: r.resolved_at,
  };
}

/** A transition that lost the race to open an alert is decided again this many times. */
const MAX_TRIES = 3;

export class SqlAlertStore implements AlertStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async get(id: string): Promise<Alert | undefined> {
    const row = await this.#sql.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [id]);
    return row ? rowToAlert(row) : undefined;
  }

  async openFor(stationId: string, ruleId: string): Promise<Alert | undefined> {
    const row = await this.#sql.get<AlertRow>("SELECT * FROM alerts WHERE station_id = ? AND rule_id = ? AND state != 'resolved'", [stationId, ruleId]);
    return row ? rowToAlert(row) : undefined;
  }

  async allOpen(): Promise<Alert[]> {
    return (await this.#sql.all<AlertRow>("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY opened_at")).map(rowToAlert);
  }

  async events(alertId: string): Promise<AlertEvent[]> {
    const rows = await this.#sql.all<{ id: string; alert_id: string; type: string; level: string; value: number; message: string; at: string; by: string | null }>(
      'SELECT id, alert_id, type, level, value, message, at, by FROM alert_events WHERE alert_id = ? ORDER BY seq',
      [alertId],
    );
    return rows.map((r) => ({ id: r.id, alertId: r.alert_id, type: r.type as AlertEventType, level: r.level as Alert['level'], value: r.value, message: r.message, at: r.at, by: r.by }));
  }

  async list(f: AlertFilter): Promise<{ items: Alert[]; total: number }> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (f.state === 'active') where.push("state != 'resolved'");
    else if (f.state !== 'all') {
      where.push('state = ?');
      args.push(f.state);
    }
    const eq: Array<[string, string | undefined]> = [
      ['department', f.department],
      ['domain', f.domain],
      ['level', f.level],
      ['station_id', f.station],
      ['rule_id', f.rule],
    ];
    for (const [col, v] of eq) {
      if (v !== undefined) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    }
    if (f.region !== undefined) {
      where.push('region LIKE ?');
      args.push(`${f.region}%`);
    }
    if (f.departments) {
      where.push(`department IN (${placeholders(f.departments.length)})`);
      args.push(...f.departments);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (await this.#sql.get<{ n: number }>(`SELECT count(*) AS n FROM alerts ${clause}`, args))!.n;
    const page = f.beforeOpenedAt ? `${clause ? `${clause} AND` : 'WHERE'} opened_at < ?` : clause;
    const rows = await this.#sql.all<AlertRow>(`SELECT * FROM alerts ${page} ORDER BY opened_at DESC, id DESC LIMIT ?`, [
      ...args,
      ...(f.beforeOpenedAt ? [f.beforeOpenedAt] : []),
      f.limit,
    ]);
    return { items: rows.map(rowToAlert), total };
  }

  async transition(
    target: AlertTarget,
    decide: (current: Alert | undefined) => AlertChange | undefined,
    deliveries: (alert: Alert, event: AlertEvent) => readonly OutboxInput[],
  ): Promise<{ alert: Alert; event: AlertEvent } | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sql.transaction((tx) => writeAlertChange(tx, target, decide, deliveries));
      } catch (err) {
        if (attempt >= MAX_TRIES || !isUniqueViolation(err)) throw err;
      }
    }
  }
}

/**
 * One alert change inside the caller's transaction (AlertStore.transition's body; the rules'
 * flush runs several in one transaction): reads the target (locked FOR UPDATE on PostgreSQL),
 * decides, writes the alert, its numbered event and its outbox rows.
 */
export async function writeAlertChange(
  tx: SqlClient,
  target: AlertTarget,
  decide: (current: Alert | undefined) => AlertChange | undefined,
  deliveries: (alert: Alert, event: AlertEvent) => readonly OutboxInput[],
): Promise<{ alert: Alert; event: AlertEvent } | undefined> {
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const row =
    'alertId' in target
      ? await tx.get<AlertRow>(`SELECT * FROM alerts WHERE id = ?${lock}`, [target.alertId])
      : await tx.get<AlertRow>(`SELECT * FROM alerts WHERE station_id = ? AND rule_id = ? AND state != 'resolved'${lock}`, [target.stationId, target.ruleId]);
  const change = decide(row ? rowToAlert(row) : undefined);
  if (!change) return undefined;
  const a = change.alert;
  if (change.insert) {
    await tx.run(
      `INSERT INTO alerts (id, station_id, station_name, rule_id, rule_name, rule_kind, domain, region, department, level, state, value, message,
        opened_at, updated_at, escalated_at, acknowledged_by, acknowledged_at, ack_note, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [a.id, a.stationId, a.stationName, a.ruleId, a.ruleName, a.ruleKind, a.domain, a.region, a.department, a.level, a.state, a.value, a.message,
        a.openedAt, a.updatedAt, a.escalatedAt, a.acknowledgedBy, a.acknowledgedAt, a.ackNote, a.resolvedAt],
    );
  } else {
    await tx.run(
      `UPDATE alerts SET level = ?, state = ?, value = ?, message = ?, updated_at = ?, escalated_at = ?, acknowledged_by = ?, acknowledged_at = ?,
        ack_note = ?, resolved_at = ? WHERE id = ?`,
      [a.level, a.state, a.value, a.message, a.updatedAt, a.escalatedAt, a.acknowledgedBy, a.acknowledgedAt, a.ackNote, a.resolvedAt, a.id],
    );
  }
  const seq = ((await tx.get<{ n: number | null }>('SELECT max(seq) AS n FROM alert_events WHERE alert_id = ?', [a.id]))?.n ?? 0) + 1;
  const event: AlertEvent = { id: `${a.id}-${seq}`, alertId: a.id, type: change.type, level: a.level, value: a.value, message: change.message, at: change.at, by: change.by };
  await tx.run('INSERT INTO alert_events (id, alert_id, seq, type, level, value, message, at, by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    event.id,
    a.id,
    seq,
    event.type,
    event.level,
    event.value,
    event.message,
    event.at,
    event.by,
  ]);
  await insertOutboxRows(tx, deliveries(a, event), Date.parse(change.at));
  return { alert: a, event };
}
