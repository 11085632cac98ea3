/** ProvisioningStore in SQL. */
import { createHash, randomBytes } from 'node:crypto';
import type { AgentConfig } from '@shanshui/models';
import type { ProvisioningStore, TokenCheck } from '../provisioning-store.ts';
import type { SqlClient } from './sql-client.ts';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export class SqlProvisioningStore implements ProvisioningStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async createToken(stationId: string, ttlSec: number, now = Date.now()): Promise<{ token: string; expiresAt: string }> {
    const token = `sst_${randomBytes(24).toString('base64url')}`;
    const expiresAt = new Date(now + ttlSec * 1000).toISOString();
    await this.#sql.run('INSERT INTO bootstrap_tokens (token_hash, station_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hashToken(token), stationId, new Date(now).toISOString(), expiresAt]);
    return { token, expiresAt };
  }

  async consumeToken(token: string, from: string, now = Date.now()): Promise<TokenCheck> {
    const hash = hashToken(token);
    const nowIso = new Date(now).toISOString();
    const res = await this.#sql.run('UPDATE bootstrap_tokens SET used_at = ?, used_from = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', [nowIso, from, hash, nowIso]);
    const row = await this.#sql.get<{ station_id: string; used_at: string | null; expires_at: string }>('SELECT station_id, used_at, expires_at FROM bootstrap_tokens WHERE token_hash = ?', [hash]);
    if (!row) return { ok: false, reason: 'unknown' };
    if (res.changes === 1) return { ok: true, stationId: row.station_id };
    if (row.used_at && row.used_at !== nowIso) return { ok: false, reason: 'used', stationId: row.station_id };
    return { ok: false, reason: row.expires_at <= nowIso ? 'expired' : 'used', stationId: row.station_id };
  }

  async setConfig(stationId: string, config: AgentConfig): Promise<void> {
    await this.#sql.run(
      'INSERT INTO agent_configs (station_id, version, config, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (station_id) DO UPDATE SET version = excluded.version, config = excluded.config, updated_at = excluded.updated_at',
      [stationId, config.version, JSON.stringify(config), new Date().toISOString()],
    );
  }

  async getConfig(stationId: string): Promise<AgentConfig | undefined> {
    const row = await this.#sql.get<{ config: string }>('SELECT config FROM agent_configs WHERE station_id = ?', [stationId]);
    return row ? (JSON.parse(row.config) as AgentConfig) : undefined;
  }

  async allConfigs(): Promise<Array<{ stationId: string; config: AgentConfig }>> {
    const rows = await this.#sql.all<{ station_id: string; config: string }>('SELECT station_id, config FROM agent_configs');
    return rows.map((r) => ({ stationId: r.station_id, config: JSON.parse(r.config) as AgentConfig }));
  }

  async deleteStation(stationId: string): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      await tx.run('DELETE FROM agent_configs WHERE station_id = ?', [stationId]);
      await tx.run('DELETE FROM bootstrap_tokens WHERE station_id = ?', [stationId]);
    });
  }
}
