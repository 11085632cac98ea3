/**
 * API tokens: `ssk_` + 256 random bits, shown once and kept as sha256 (their entropy makes a
 * slow hash pointless), each with a role, a department scope and an expiry; revoked tokens
 * stay listed (without secrets) so the audit log's actors keep a name.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Role } from './permissions.ts';
import type { DepartmentScope, Principal } from './principal.ts';

export const API_TOKEN_PREFIX = 'ssk_';

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly departments: DepartmentScope;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: string | null;
  readonly state: 'active' | 'expired' | 'revoked';
}

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

export type TokenCheck = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'revoked' };

export class ApiTokenStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT, last_used_at TEXT
      );
    `);
  }

  /** Creates a token; the secret is returned only here. */
  create(t: { name: string; role: Role; departments: DepartmentScope; ttlSec: number; createdBy: string }, nowMs = Date.now()): { token: ApiToken; secret: string } {
    const id = `tok_${randomBytes(8).toString('hex')}`;
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const createdAt = new Date(nowMs).toISOString();
    const expiresAt = new Date(nowMs + t.ttlSec * 1000).toISOString();
    this.#db
      .prepare('INSERT INTO api_tokens (id, token_hash, name, role, departments, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, hashToken(secret), t.name, t.role, JSON.stringify(t.departments), createdAt, t.createdBy, expiresAt);
    return { token: this.get(id, nowMs)!, secret };
  }

  /** The principal of a presented secret, or why it is not one. */
  verify(secret: string, nowMs = Date.now()): TokenCheck {
    const row = this.#db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?').get(hashToken(secret)) as Row | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    const token = rowToToken(row, nowMs);
    if (token.state !== 'active') return { ok: false, reason: token.state };
    if (!row.last_used_at || Date.parse(row.last_used_at) < nowMs - LAST_USED_RESOLUTION_MS) {
      this.#db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(new Date(nowMs).toISOString(), row.id);
    }
    return { ok: true, principal: { id: token.id, name: token.name, role: token.role, departments: token.departments } };
  }

  get(id: string, nowMs = Date.now()): ApiToken | undefined {
    const row = this.#db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToToken(row, nowMs) : undefined;
  }

  /** Newest first. */
  list(nowMs = Date.now()): ApiToken[] {
    return (this.#db.prepare('SELECT * FROM api_tokens ORDER BY created_at DESC, id').all() as unknown as Row[]).map((r) => rowToToken(r, nowMs));
  }

  /** Revokes a token (idempotent); false when there is no such token. */
  revoke(id: string, by: string, nowMs = Date.now()): boolean {
    const exists = this.get(id, nowMs);
    if (!exists) return false;
    this.#db.prepare('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL').run(new Date(nowMs).toISOString(), by, id);
    return true;
  }
}
