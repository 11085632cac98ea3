/** Downlink commands and their outcome, in the platform's SQLite file. */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

export const COMMAND_STATES = ['pending', 'sent', 'succeeded', 'failed', 'expired'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export interface Command {
  readonly id: string;
  readonly stationId: string;
  readonly department: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly state: CommandState;
  readonly by: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly sentAt: string | null;
  readonly resultAt: string | null;
  readonly result: unknown;
  readonly error: string | null;
}

interface Row {
  id: string;
  station_id: string;
  department: string;
  name: string;
  args: string;
  state: CommandState;
  by: string;
  created_at: string;
  expires_at: string;
  sent_at: string | null;
  result_at: string | null;
  result: string | null;
  error: string | null;
}

const toCommand = (r: Row): Command => ({
  id: r.id,
  stationId: r.station_id,
  department: r.department,
  name: r.name,
  args: JSON.parse(r.args) as Record<string, unknown>,
  state: r.state,
  by: r.by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  sentAt: r.sent_at,
  resultAt: r.result_at,
  result: r.result === null ? null : (JSON.parse(r.result) as unknown),
  error: r.error,
});

export class CommandStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS commands (
        id TEXT PRIMARY KEY, station_id TEXT NOT NULL, department TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
        state TEXT NOT NULL, by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
        sent_at TEXT, result_at TEXT, result TEXT, error TEXT
      );
      CREATE INDEX IF NOT EXISTS commands_station ON commands(station_id, created_at);
      CREATE INDEX IF NOT EXISTS commands_open ON commands(state) WHERE state IN ('pending', 'sent');
    `);
  }

  create(c: { stationId: string; department: string; name: string; args: Record<string, unknown>; by: string; ttlSec: number }, now = Date.now()): Command {
    const row: Row = {
      id: `cmd_${randomUUID()}`,
      station_id: c.stationId,
      department: c.department,
      name: c.name,
      args: JSON.stringify(c.args),
      state: 'pending',
      by: c.by,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + c.ttlSec * 1000).toISOString(),
      sent_at: null,
      result_at: null,
      result: null,
      error: null,
    };
    this.#db
      .prepare('INSERT INTO commands (id, station_id, department, name, args, state, by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.station_id, row.department, row.name, row.args, row.state, row.by, row.created_at, row.expires_at);
    return toCommand(row);
  }

  get(id: string): Command | undefined {
    const r = this.#db.prepare('SELECT * FROM commands WHERE id = ?').get(id) as Row | undefined;
    return r ? toCommand(r) : undefined;
  }

  /** A station's commands, newest first — of its current department only (a deleted id registered again starts clean). */
  list(stationId: string, department: string, limit: number): Command[] {
    return (this.#db.prepare('SELECT * FROM commands WHERE station_id = ? AND department = ? ORDER BY created_at DESC LIMIT ?').all(stationId, department, limit) as unknown as Row[]).map(toCommand);
  }

  /** A deleted station's open commands end (never sent to a device that takes its id later); returns how many. */
  cancelOpen(stationId: string, now = Date.now()): number {
    const res = this.#db
      .prepare("UPDATE commands SET state = 'expired', result_at = ?, error = 'station deleted' WHERE station_id = ? AND state IN ('pending', 'sent')")
      .run(new Date(now).toISOString(), stationId);
    return Number(res.changes);
  }

  /** Unexpired commands not yet answered, oldest first: what a returning device must get. */
  open(stationId: string, now = Date.now()): Command[] {
    return (
      this.#db
        .prepare("SELECT * FROM commands WHERE station_id = ? AND state IN ('pending', 'sent') AND expires_at > ? ORDER BY created_at")
        .all(stationId, new Date(now).toISOString()) as unknown as Row[]
    ).map(toCommand);
  }

  markSent(id: string, now = Date.now()): void {
    this.#db.prepare("UPDATE commands SET state = 'sent', sent_at = ? WHERE id = ? AND state IN ('pending', 'sent')").run(new Date(now).toISOString(), id);
  }

  /** Records the device's answer; false when the command is unknown, already answered or expired. */
  complete(id: string, stationId: string, ok: boolean, result: unknown, error: string | null, now = Date.now()): boolean {
    const res = this.#db
      .prepare("UPDATE commands SET state = ?, result_at = ?, result = ?, error = ? WHERE id = ? AND station_id = ? AND state IN ('pending', 'sent')")
      .run(ok ? 'succeeded' : 'failed', new Date(now).toISOString(), result === undefined ? null : JSON.stringify(result), error, id, stationId);
    return Number(res.changes) === 1;
  }

  /** Times out every open command past its expiry; returns them. */
  expire(now = Date.now()): Command[] {
    const iso = new Date(now).toISOString();
    const rows = this.#db.prepare("SELECT * FROM commands WHERE state IN ('pending', 'sent') AND expires_at <= ?").all(iso) as unknown as Row[];
    if (rows.length) this.#db.prepare("UPDATE commands SET state = 'expired', result_at = ?, error = 'no answer before expiry' WHERE state IN ('pending', 'sent') AND expires_at <= ?").run(iso, iso);
    return rows.map(toCommand);
  }
}
