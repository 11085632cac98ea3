/** ApiTokenStore in SQL: tokens kept as sha256 (256-bit random secrets make a slow hash pointless). */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../auth/permissions.ts';
import type { DepartmentScope } from '../../auth/principal.ts';
import { API_TOKEN_PREFIX } from '../../auth/api-token-store.ts';
import type { ApiToken, ApiTokenStore, TokenCheck } from '../../auth/api-token-store.ts';
import type { SqlClient } from './sql-client.ts';

interface Row {
  id: string;
  name: string;
  role: string;
  departments: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
/** last_used_at is written at most this often per token: a busy client must not mean a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;
const COLUMNS = 'id, name, role, departments, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at';

function rowToToken(r: Row, nowMs: number): ApiToken {
  const departments = JSON.parse(r.departments) as DepartmentScope;
  const state = r.revoked_at ? 'revoked' : Date.parse(r.expires_at) <= nowMs ? 'expired' : 'active';
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    departments,
    createdAt: r.created_at,
    createdBy: r.created_by,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    lastUsedAt: r.last_used_at,
    state,
  };
}

export class SqlApiTokenStore implements ApiTokenStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async create(t: { name: string; role: Role; departments: DepartmentScope; ttlSec: number; createdBy: string }, nowMs = Date.now()): Promise<{ token: ApiToken; secret: string }> {
    const id = `tok_${randomBytes(8).toString('hex')}`;
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const createdAt = new Date(nowMs).toISOString();
    const expiresAt = new Date(nowMs + t.ttlSec * 1000).toISOString();
    await this.#sql.run('INSERT INTO api_tokens (id, token_hash, name, role, departments, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      hashToken(secret),
      t.name,
      t.role,
      JSON.stringify(t.departments),
      createdAt,
      t.createdBy,
      expiresAt,
    ]);
    return { token: (await this.get(id, nowMs))!, secret };
  }

  async verify(secret: string, nowMs = Date.now()): Promise<TokenCheck> {
    const row = await this.#sql.get<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ?`, [hashToken(secret)]);
    if (!row) return { ok: false, reason: 'unknown' };
    const token = rowToToken(row, nowMs);
    if (token.state !== 'active') return { ok: false, reason: token.state };
    if (!row.last_used_at || Date.parse(row.last_used_at) < nowMs - LAST_USED_RESOLUTION_MS) {
      await this.#sql.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [new Date(nowMs).toISOString(), row.id]);
    }
    return { ok: true, principal: { id: token.id, name: token.name, role: token.role, departments: token.departments } };
  }

  async get(id: string, nowMs = Date.now()): Promise<ApiToken | undefined> {
    const row = await this.#sql.get<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`, [id]);
    return row ? rowToToken(row, nowMs) : undefined;
  }

  async list(nowMs = Date.now()): Promise<ApiToken[]> {
    return (await this.#sql.all<Row>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC, id`)).map((r) => rowToToken(r, nowMs));
  }

  async revoke(id: string, by: string, nowMs = Date.now()): Promise<boolean> {
    const res = await this.#sql.run('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [new Date(nowMs).toISOString(), by, id]);
    return res.changes > 0 || (await this.get(id, nowMs)) !== undefined;
  }
}
