/**
 * One-time bootstrap tokens (kept as sha256: they are 192-bit random, so a fast hash is
 * enough) and the edge-agent configuration of each station, in the platform's SQLite file.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { AgentConfig } from '@shanshui/models';

export type TokenCheck =
  | { readonly ok: true; readonly stationId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired'; readonly stationId?: string };

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export class ProvisioningStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS bootstrap_tokens (
        token_hash TEXT PRIMARY KEY, station_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
        used_at TEXT, used_from TEXT
      );
      CREATE TABLE IF NOT EXISTS agent_configs (
        station_id TEXT PRIMARY KEY, version INTEGER NOT NULL, config TEXT NOT NULL, updated_at TEXT NOT NULL
      );
    `);
  }

  createToken(stationId: string, ttlSec: number, now = Date.now()): { token: string; expiresAt: string } {
    const token = `sst_${randomBytes(24).toString('base64url')}`;
    const expiresAt = new Date(now + ttlSec * 1000).toISOString();
    this.#db
      .prepare('INSERT INTO bootstrap_tokens (token_hash, station_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), stationId, new Date(now).toISOString(), expiresAt);
    return { token, expiresAt };
  }

  /** Marks the token used if it is valid; one winner even under concurrent calls (single UPDATE). */
  consumeToken(token: string, from: string, now = Date.now()): TokenCheck {
    const hash = hashToken(token);
    const nowIso = new Date(now).toISOString();
    const res = this.#db
      .prepare('UPDATE bootstrap_tokens SET used_at = ?, used_from = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?')
      .run(nowIso, from, hash, nowIso);
    const row = this.#db.prepare('SELECT station_id, used_at, expires_at FROM bootstrap_tokens WHERE token_hash = ?').get(hash) as
      | { station_id: string; used_at: string | null; expires_at: string }
      | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    if (Number(res.changes) === 1) return { ok: true, stationId: row.station_id };
    if (row.used_at && row.used_at !== nowIso) return { ok: false, reason: 'used', stationId: row.station_id };
    return { ok: false, reason: row.expires_at <= nowIso ? 'expired' : 'used', stationId: row.station_id };
  }

  setConfig(stationId: string, config: AgentConfig): void {
    this.#db
      .prepare(
        'INSERT INTO agent_configs (station_id, version, config, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(station_id) DO UPDATE SET version = excluded.version, config = excluded.config, updated_at = excluded.updated_at',
      )
      .run(stationId, config.version, JSON.stringify(config), new Date().toISOString());
  }

  getConfig(stationId: string): AgentConfig | undefined {
    const row = this.#db.prepare('SELECT config FROM agent_configs WHERE station_id = ?').get(stationId) as { config: string } | undefined;
    return row ? (JSON.parse(row.config) as AgentConfig) : undefined;
  }

  allConfigs(): Array<{ stationId: string; config: AgentConfig }> {
    const rows = this.#db.prepare('SELECT station_id, config FROM agent_configs').all() as Array<{ station_id: string; config: string }>;
    return rows.map((r) => ({ stationId: r.station_id, config: JSON.parse(r.config) as AgentConfig }));
  }

  deleteStation(stationId: string): void {
    this.#db.prepare('DELETE FROM agent_configs WHERE station_id = ?').run(stationId);
    this.#db.prepare('DELETE FROM bootstrap_tokens WHERE station_id = ?').run(stationId);
  }
}
