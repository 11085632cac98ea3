/** PresenceStore in SQL. */
import type { PresenceChange, PresenceRecord, PresenceStore } from '../presence-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';

const SET_ONLINE = `INSERT INTO presence (device_id, online, since, remote_address, node_id) VALUES (?, 1, ?, ?, ?)
  ON CONFLICT (device_id) DO UPDATE SET online = 1, since = excluded.since, remote_address = excluded.remote_address, node_id = excluded.node_id`;
const SET_OFFLINE = 'UPDATE presence SET online = 0, since = ? WHERE device_id = ? AND node_id = ? AND online = 1';

export class SqlPresenceStore implements PresenceStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async set(deviceId: string, online: boolean, remoteAddress: string | undefined, nodeId: string, atMs = Date.now()): Promise<void> {
    await apply(this.#sql, { deviceId, online, remoteAddress, nodeId, atMs });
  }

  async setMany(changes: readonly PresenceChange[]): Promise<void> {
    if (changes.length === 0) return;
    if (changes.length === 1) return apply(this.#sql, changes[0]!);
    // PostgreSQL: the batch as two statements, not one round trip per change — in a reconnect
    // storm the per-row statements were most of the database's CPU per CONNECT.
    if (this.#sql.dialect === 'postgres') return retryDeadlock(() => this.#sql.transaction((tx) => applyCollapsed(tx, changes)));
    // Rows locked in one order by every node (device id; a device's own changes keep their order —
    // the sort is stable): two nodes' batches sharing devices (a takeover) wait, never deadlock.
    const ordered = [...changes].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    await this.#sql.transaction(async (tx) => {
      for (const c of ordered) await apply(tx, c);
    });
  }

  async get(deviceId: string): Promise<PresenceRecord | undefined> {
    const r = await this.#sql.get<{ online: number; since: string; remote_address: string | null; node_id: string }>(
      'SELECT online, since, remote_address, node_id FROM presence WHERE device_id = ?',
      [deviceId],
    );
    return r ? { online: r.online === 1, since: r.since, remoteAddress: r.remote_address, nodeId: r.node_id } : undefined;
  }

  async online(): Promise<Map<string, string>> {
    return new Map((await this.#sql.all<{ device_id: string; since: string }>('SELECT device_id, since FROM presence WHERE online = 1')).map((r) => [r.device_id, r.since]));
  }

  async resetNode(nodeId: string): Promise<number> {
    return (await this.#sql.run('UPDATE presence SET online = 0 WHERE node_id = ? AND online = 1', [nodeId])).changes;
  }

  async heartbeat(nodeId: string, atMs: number): Promise<void> {
    await this.#sql.run(
      'INSERT INTO cluster_nodes (node_id, heartbeat_at, started_at) VALUES (?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at',
      [nodeId, atMs, new Date(atMs).toISOString()],
    );
  }

  async sweepSilentNodes(silentSinceMs: number, atMs: number): Promise<string[]> {
    const rows = await this.#sql.all<{ device_id: string }>(
      `UPDATE presence SET online = 0, since = ? WHERE online = 1 AND node_id IN (SELECT node_id FROM cluster_nodes WHERE heartbeat_at < ?) RETURNING device_id`,
      [new Date(atMs).toISOString(), silentSinceMs],
    );
    return rows.map((r) => r.device_id).sort();
  }
}

async function apply(sql: SqlClient, c: PresenceChange): Promise<void> {
  const since = new Date(c.atMs).toISOString();
  if (c.online) await sql.run(SET_ONLINE, [c.deviceId, since, c.remoteAddress ?? null, c.nodeId]);
  else await sql.run(SET_OFFLINE, [since, c.deviceId, c.nodeId]);
}

/**
 * A batch's changes folded into what they leave behind, per device, applied in two statements.
 * After a device's last connect in the batch its row is known whatever it was before (a connect
 * writes every column), and of the disconnects after it only the first one from the same node
 * counts: one upsert. A device with disconnects only goes offline if one of them comes from the
 * node that holds it (the first from that node sets the time): one conditional update.
 */
async function applyCollapsed(tx: SqlClient, changes: readonly PresenceChange[]): Promise<void> {
  const byDevice = new Map<string, PresenceChange[]>();
  for (const c of changes) {
    const list = byDevice.get(c.deviceId);
    if (list) list.push(c);
    else byDevice.set(c.deviceId, [c]);
  }
  const upserts: SqlValue[] = [];
  const offline: SqlValue[] = [];
  // Rows locked in one order by every node (device id): two nodes' batches sharing devices wait, rarely deadlock (then retried).
  for (const deviceId of [...byDevice.keys()].sort()) {
    const list = byDevice.get(deviceId)!;
    const last = list.findLastIndex((c) => c.online);
    if (last !== -1) {
      const on = list[last]!;
      const off = list.slice(last + 1).find((c) => c.nodeId === on.nodeId);
      upserts.push(deviceId, off ? 0 : 1, new Date((off ?? on).atMs).toISOString(), on.remoteAddress ?? null, on.nodeId);
    } else {
      const seen = new Set<string>();
      for (const c of list) {
        if (seen.has(c.nodeId)) continue;
        seen.add(c.nodeId);
        offline.push(deviceId, c.nodeId, new Date(c.atMs).toISOString());
      }
    }
  }
  if (upserts.length > 0) {
    const rows = Array.from({ length: upserts.length / 5 }, () => '(?, CAST(? AS INTEGER), ?, ?, ?)').join(', ');
    await tx.run(
      `INSERT INTO presence (device_id, online, since, remote_address, node_id) VALUES ${rows}
        ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, since = excluded.since, remote_address = excluded.remote_address, node_id = excluded.node_id`,
      upserts,
    );
  }
  if (offline.length > 0) {
    const rows = Array.from({ length: offline.length / 3 }, () => '(?, ?, ?)').join(', ');
    await tx.run(
      `UPDATE presence SET online = 0, since = v.since FROM (VALUES ${rows}) AS v(device_id, node_id, since)
        WHERE presence.device_id = v.device_id AND presence.node_id = v.node_id AND presence.online = 1`,
      offline,
    );
  }
}

/** PostgreSQL's deadlock detector ends one of two transactions that wait on each other: that one runs again. */
async function retryDeadlock<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || (err as { code?: unknown }).code !== '40P01') throw err;
    }
  }
}
