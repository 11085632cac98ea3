/** PresenceStore in SQL. */
import type { PresenceChange, PresenceRecord, PresenceStore } from '../presence-store.ts';
import type { SqlClient } from './sql-client.ts';

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
