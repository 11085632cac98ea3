/** CommandStore in SQL. */
import { randomUUID } from 'node:crypto';
import type { Command, CommandState, CommandStore } from '../../commands/command-store.ts';
import type { SqlClient } from './sql-client.ts';
import { placeholders } from './sql-client.ts';
import { BatchedLookup } from '../batched-lookup.ts';

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

const COLUMNS = 'id, station_id, department, name, args, state, by, created_at, expires_at, sent_at, result_at, result, error';

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

export class SqlCommandStore implements CommandStore {
  readonly #sql: SqlClient;

  readonly #openNow: BatchedLookup<string, Command[]>;

  constructor(sql: SqlClient) {
    this.#sql = sql;
    this.#openNow = new BatchedLookup({
      loadMany: async (ids) => {
        const rows = await this.#sql.all<Row>(
          `SELECT ${COLUMNS} FROM commands WHERE station_id IN (${placeholders(ids.length)}) AND state IN ('pending', 'sent') AND expires_at > ? ORDER BY created_at`,
          [...ids, new Date().toISOString()],
        );
        const by = new Map<string, Command[]>();
        for (const r of rows) by.set(r.station_id, [...(by.get(r.station_id) ?? []), toCommand(r)]);
        return by;
      },
    });
  }

  async create(c: { stationId: string; department: string; name: string; args: Record<string, unknown>; by: string; ttlSec: number }, now = Date.now()): Promise<Command> {
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
    await this.#sql.run('INSERT INTO commands (id, station_id, department, name, args, state, by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      row.id,
      row.station_id,
      row.department,
      row.name,
      row.args,
      row.state,
      row.by,
      row.created_at,
      row.expires_at,
    ]);
    return toCommand(row);
  }

  async get(id: string): Promise<Command | undefined> {
    const r = await this.#sql.get<Row>(`SELECT ${COLUMNS} FROM commands WHERE id = ?`, [id]);
    return r ? toCommand(r) : undefined;
  }

  async list(stationId: string, department: string, limit: number): Promise<Command[]> {
    return (await this.#sql.all<Row>(`SELECT ${COLUMNS} FROM commands WHERE station_id = ? AND department = ? ORDER BY created_at DESC LIMIT ?`, [stationId, department, limit])).map(toCommand);
  }

  async cancelOpen(stationId: string, now = Date.now()): Promise<number> {
    const res = await this.#sql.run("UPDATE commands SET state = 'expired', result_at = ?, error = 'station deleted' WHERE station_id = ? AND state IN ('pending', 'sent')", [
      new Date(now).toISOString(),
      stationId,
    ]);
    return res.changes;
  }

  async open(stationId: string, now?: number): Promise<Command[]> {
    // Now: looked up with the other stations coming online at the same moment (a reconnect storm).
    if (now === undefined) {
      // As an immediate query would answer: not the commands created after the question (sent at once to a device listening).
      const asked = new Date().toISOString();
      return ((await this.#openNow.get(stationId)) ?? []).filter((c) => c.createdAt <= asked);
    }
    return (
      await this.#sql.all<Row>(`SELECT ${COLUMNS} FROM commands WHERE station_id = ? AND state IN ('pending', 'sent') AND expires_at > ? ORDER BY created_at`, [stationId, new Date(now).toISOString()])
    ).map(toCommand);
  }

  async markSent(id: string, now = Date.now()): Promise<void> {
    await this.#sql.run("UPDATE commands SET state = 'sent', sent_at = ? WHERE id = ? AND state IN ('pending', 'sent')", [new Date(now).toISOString(), id]);
  }

  async complete(id: string, stationId: string, ok: boolean, result: unknown, error: string | null, now = Date.now()): Promise<boolean> {
    const res = await this.#sql.run("UPDATE commands SET state = ?, result_at = ?, result = ?, error = ? WHERE id = ? AND station_id = ? AND state IN ('pending', 'sent')", [
      ok ? 'succeeded' : 'failed',
      new Date(now).toISOString(),
      result === undefined ? null : JSON.stringify(result),
      error,
      id,
      stationId,
    ]);
    return res.changes === 1;
  }

  async expire(now = Date.now()): Promise<Command[]> {
    const iso = new Date(now).toISOString();
    // RETURNING: each expired command is reported by the one node whose UPDATE changed it.
    const rows = await this.#sql.all<Row>(
      `UPDATE commands SET state = 'expired', result_at = ?, error = 'no answer before expiry' WHERE state IN ('pending', 'sent') AND expires_at <= ? RETURNING ${COLUMNS}`,
      [iso, iso],
    );
    return rows.map(toCommand);
  }
}
