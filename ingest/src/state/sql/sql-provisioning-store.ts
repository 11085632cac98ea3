/** ProvisioningStore in SQL. */
import { createHash, randomBytes } from 'node:crypto';
import type { AgentConfig } from '@shanshui/models';
import type { AppliedAgentConfig, ProvisioningStore, TokenCheck } from '../provisioning-store.ts';
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

  async setConfig(stationId: string, config: AgentConfig): Promise<boolean> {
    const text = JSON.stringify(config);
    const at = new Date().toISOString();
    return this.#sql.transaction(async (tx) => {
      // Only above the stored version: of two requests with the same version (two nodes, two
      // operators) one wins; the other is told, instead of both being published.
      const res = await tx.run(
        'INSERT INTO agent_configs (station_id, version, config, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (station_id) DO UPDATE SET version = excluded.version, config = excluded.config, updated_at = excluded.updated_at WHERE agent_configs.version < excluded.version',
        [stationId, config.version, text, at],
      );
      if (res.changes !== 1) return false;
      await tx.run('INSERT INTO agent_config_history (station_id, version, config, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (station_id, version) DO UPDATE SET config = excluded.config, set_at = excluded.set_at', [stationId, config.version, text, at]);
      return true;
    });
  }

  async markApplied(stationId: string, version: number, now = Date.now()): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const row = await tx.get<{ config: string }>('SELECT config FROM agent_config_history WHERE station_id = ? AND version = ?', [stationId, version]);
      if (!row) return false;
      // A late report of an older version never replaces a newer applied one; the same version
      // again (every heartbeat says it) keeps the time it was first reported.
      const res = await tx.run('UPDATE agent_configs SET applied_version = ?, applied_config = ?, applied_at = ? WHERE station_id = ? AND (applied_version IS NULL OR applied_version < ?)', [
        version,
        row.config,
        new Date(now).toISOString(),
        stationId,
        version,
      ]);
      if (res.changes === 0) return false;
      await tx.run('DELETE FROM agent_config_history WHERE station_id = ? AND version < ?', [stationId, version]);
      return true;
    });
  }

  async getApplied(stationId: string): Promise<AppliedAgentConfig | undefined> {
    const row = await this.#sql.get<{ applied_version: number | null; applied_config: string | null; applied_at: string | null }>(
      'SELECT applied_version, applied_config, applied_at FROM agent_configs WHERE station_id = ?',
      [stationId],
    );
    if (!row || row.applied_version === null || row.applied_config === null) return undefined;
    return { version: Number(row.applied_version), config: JSON.parse(row.applied_config) as AgentConfig, at: row.applied_at ?? '' };
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
      await tx.run('DELETE FROM agent_config_history WHERE station_id = ?', [stationId]);
      await tx.run('DELETE FROM bootstrap_tokens WHERE station_id = ?', [stationId]);
    });
  }
}
