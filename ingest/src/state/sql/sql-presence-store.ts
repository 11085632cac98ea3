/** PresenceStore in SQL. */
import type { PresenceRecord, PresenceStore } from '../presence-store.ts';
import type { SqlClient } from './sql-client.ts';

export class SqlPresenceStore implements PresenceStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async set(deviceId: string, online: boolean, remoteAddress: string | undefined, nodeId: string, atMs = Date.now()): Promise<void> {
    const since = new Date(atMs).toISOString();
    if (online) {
      await this.#sql.run(
        `INSERT INTO presence (device_id, online, since, remote_address, node_id) VALUES (?, 1, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET online = 1, since = excluded.since, remote_address = excluded.remote_address, node_id = excluded.node_id`,
        [deviceId, since, remoteAddress ?? null, nodeId],
      );
    } else {
      await this.#sql.run('UPDATE presence SET online = 0, since = ? WHERE device_id = ? AND node_id = ? AND online = 1', [since, deviceId, nodeId]);
    }
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
}
