/**
 * Alerts and their events in SQLite. A unique partial index allows exactly one open
 * (not resolved) alert per (station, rule), whatever the callers do.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Alert, AlertEvent, AlertEventType } from './alert.ts';

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

/** Statements of the rule → alert path, prepared once (every transition runs several). */
interface Statements {
  readonly get: StatementSync;
  readonly openFor: StatementSync;
  readonly insert: StatementSync;
  readonly update: StatementSync;
  readonly maxEventSeq: StatementSync;
  readonly insertEvent: StatementSync;
  readonly events: StatementSync;
}

export class AlertStore {
  readonly #db: DatabaseSync;
  readonly #st: Statements;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY, station_id TEXT NOT NULL, station_name TEXT NOT NULL, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL,
        rule_kind TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, department TEXT NOT NULL,
        level TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
        value REAL NOT NULL, message TEXT NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, escalated_at TEXT,
        acknowledged_by TEXT, acknowledged_at TEXT, ack_note TEXT, resolved_at TEXT
      );
      CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open ON alerts(station_id, rule_id) WHERE state != 'resolved';
      CREATE INDEX IF NOT EXISTS alerts_opened ON alerts(opened_at);
      CREATE TABLE IF NOT EXISTS alert_events (
        id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL,
        value REAL NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL, by TEXT
      );
      CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, seq);
    `);
    this.#st = {
      get: db.prepare('SELECT * FROM alerts WHERE id = ?'),
      openFor: db.prepare("SELECT * FROM alerts WHERE station_id = ? AND rule_id = ? AND state != 'resolved'"),
      insert: db.prepare(
        `INSERT INTO alerts (id, station_id, station_name, rule_id, rule_name, rule_kind, domain, region, department, level, state, value, message,
          opened_at, updated_at, escalated_at, acknowledged_by, acknowledged_at, ack_note, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare(
        `UPDATE alerts SET level = ?, state = ?, value = ?, message = ?, updated_at = ?, escalated_at = ?, acknowledged_by = ?, acknowledged_at = ?,
          ack_note = ?, resolved_at = ? WHERE id = ?`,
      ),
      maxEventSeq: db.prepare('SELECT max(seq) AS n FROM alert_events WHERE alert_id = ?'),
      insertEvent: db.prepare('INSERT INTO alert_events (id, alert_id, seq, type, level, value, message, at, by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      events: db.prepare('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY seq'),
    };
  }

  get(id: string): Alert | undefined {
    const row = this.#st.get.get(id) as AlertRow | undefined;
    return row ? rowToAlert(row) : undefined;
  }

  openFor(stationId: string, ruleId: string): Alert | undefined {
    const row = this.#st.openFor.get(stationId, ruleId) as AlertRow | undefined;
    return row ? rowToAlert(row) : undefined;
  }

  allOpen(): Alert[] {
    return (this.#db.prepare("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY opened_at").all() as unknown as AlertRow[]).map(rowToAlert);
  }

  /** Inserts a new open alert; throws (SQLITE_CONSTRAINT) when one is already open for its (station, rule). */
  insert(a: Alert): void {
    this.#st.insert.run(a.id, a.stationId, a.stationName, a.ruleId, a.ruleName, a.ruleKind, a.domain, a.region, a.department, a.level, a.state, a.value, a.message,
        a.openedAt, a.updatedAt, a.escalatedAt, a.acknowledgedBy, a.acknowledgedAt, a.ackNote, a.resolvedAt);
  }

  update(a: Alert): void {
    this.#st.update.run(a.level, a.state, a.value, a.message, a.updatedAt, a.escalatedAt, a.acknowledgedBy, a.acknowledgedAt, a.ackNote, a.resolvedAt, a.id);
  }

  addEvent(alert: Alert, type: AlertEventType, message: string, by: string | null, at: string): AlertEvent {
    const seq = ((this.#st.maxEventSeq.get(alert.id) as { n: number | null }).n ?? 0) + 1;
    const event: AlertEvent = { id: `${alert.id}-${seq}`, alertId: alert.id, type, level: alert.level, value: alert.value, message, at, by };
    this.#st.insertEvent.run(
      event.id, alert.id, seq, type, event.level, event.value, message, at, by,
    );
    return event;
  }

  events(alertId: string): AlertEvent[] {
    const rows = this.#st.events.all(alertId) as Array<{
      id: string; alert_id: string; type: string; level: string; value: number; message: string; at: string; by: string | null;
    }>;
    return rows.map((r) => ({ id: r.id, alertId: r.alert_id, type: r.type as AlertEventType, level: r.level as Alert['level'], value: r.value, message: r.message, at: r.at, by: r.by }));
  }

  list(f: AlertFilter): { items: Alert[]; total: number } {
    const where: string[] = [];
    const args: string[] = [];
    if (f.state === 'active') where.push("state != 'resolved'");
    else if (f.state !== 'all') {
      where.push('state = ?');
      args.push(f.state);
    }
    const eq: Array<[string, string | undefined]> = [['department', f.department], ['domain', f.domain], ['level', f.level], ['station_id', f.station], ['rule_id', f.rule]];
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
      where.push(`department IN (${f.departments.map(() => '?').join(', ') || "''"})`);
      args.push(...f.departments);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.#db.prepare(`SELECT count(*) AS n FROM alerts ${clause}`).get(...args) as { n: number }).n;
    const page = f.beforeOpenedAt ? `${clause ? `${clause} AND` : 'WHERE'} opened_at < ?` : clause;
    const rows = this.#db.prepare(`SELECT * FROM alerts ${page} ORDER BY opened_at DESC, id DESC LIMIT ?`).all(...args, ...(f.beforeOpenedAt ? [f.beforeOpenedAt] : []), f.limit) as unknown as AlertRow[];
    return { items: rows.map(rowToAlert), total };
  }
}
