/**
 * People who sign in to the 一张图 web app: a user name and a password (kept only as a scrypt
 * hash — people choose passwords, so the hash must be slow), with the same role and
 * department scope as an API token. A sign-in opens a session: 256 random bits in an HttpOnly
 * cookie, kept here as sha256 (like API tokens: their entropy makes a slow hash pointless),
 * ending after `idleMs` without use or `ttlMs` after sign-in, whichever comes first, or at
 * sign-out. Disabling a user or changing the password ends the user's sessions.
 *
 * Async from the start so a PostgreSQL backend can implement the same methods.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { hashSecret, verifySecret } from '../state/device-secret.ts';
import type { Role } from './permissions.ts';
import type { DepartmentScope, Principal } from './principal.ts';

/** Principal ids of signed-in people start with this (API tokens: `tok_`, the bootstrap admin: `admin`). */
export const USER_PRINCIPAL_PREFIX = 'user:';

export interface User {
  readonly name: string;
  /** Shown in the app and beside the user name in alert trails (e.g. 张三). */
  readonly displayName: string;
  readonly role: Role;
  readonly departments: DepartmentScope;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly disabledAt: string | null;
  readonly lastSignInAt: string | null;
}

export interface Session {
  readonly user: User;
  readonly principal: Principal;
  readonly expiresAt: string;
}

export interface UserStoreOptions {
  /** scrypt cost N for passwords. Default 16384. */
  readonly scryptCost: number;
  /** A session ends this long after its last use, ms. Default 3600000 (1 h). */
  readonly idleMs: number;
  /** A session ends this long after sign-in whatever its use, ms. Default 43200000 (12 h). */
  readonly ttlMs: number;
}

export const USER_STORE_DEFAULTS: UserStoreOptions = { scryptCost: 16384, idleMs: 3_600_000, ttlMs: 43_200_000 };

interface UserRow {
  name: string;
  display_name: string;
  password_hash: string;
  role: string;
  departments: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
  last_sign_in_at: string | null;
}

interface SessionRow {
  user_name: string;
  created_at: string;
  last_used_at: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
/** Sessions record use at most this often: a busy page must not mean a write per request. */
const TOUCH_RESOLUTION_MS = 30_000;
/** A password hash to compare against when the user does not exist: same time either way, so a name is not confirmed by timing. */
let dummyHash: Promise<string> | undefined;

function rowToUser(r: UserRow): User {
  return {
    name: r.name,
    displayName: r.display_name,
    role: r.role as Role,
    departments: JSON.parse(r.departments) as DepartmentScope,
    createdAt: r.created_at,
    createdBy: r.created_by,
    disabledAt: r.disabled_at,
    lastSignInAt: r.last_sign_in_at,
  };
}

export const principalOfUser = (u: User): Principal => ({ id: `${USER_PRINCIPAL_PREFIX}${u.name}`, name: u.name, role: u.role, departments: u.departments });

export type SignInResult = { readonly ok: true; readonly secret: string; readonly session: Session } | { readonly ok: false; readonly reason: 'unknown' | 'disabled' | 'password' };

export class UserStore {
  readonly #db: DatabaseSync;
  readonly #o: UserStoreOptions;

  constructor(db: DatabaseSync, options: Partial<UserStoreOptions> = {}) {
    this.#db = db;
    this.#o = { ...USER_STORE_DEFAULTS, ...options };
    db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL, password_hash TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, disabled_at TEXT, last_sign_in_at TEXT
      );
      CREATE TABLE IF NOT EXISTS user_sessions (
        id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        created_at TEXT NOT NULL, last_used_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS user_sessions_user ON user_sessions (user_name);
    `);
  }

  get options(): UserStoreOptions {
    return this.#o;
  }

  /** Creates a user; false when the name is taken. */
  async create(u: { name: string; displayName: string; password: string; role: Role; departments: DepartmentScope; createdBy: string }, nowMs = Date.now()): Promise<User | undefined> {
    const hash = await hashSecret(u.password, this.#o.scryptCost);
    const result = this.#db
      .prepare('INSERT INTO users (name, display_name, password_hash, role, departments, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(u.name, u.displayName, hash, u.role, JSON.stringify(u.departments), new Date(nowMs).toISOString(), u.createdBy);
    return result.changes === 1 ? this.get(u.name) : undefined;
  }

  async get(name: string): Promise<User | undefined> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row ? rowToUser(row) : undefined;
  }

  /** By name. */
  async list(): Promise<User[]> {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as unknown as UserRow[]).map(rowToUser);
  }

  /** Changes role, departments, display name, password or disabled state; a new password, scope or a disable ends every session of the user. */
  async update(
    name: string,
    change: { displayName?: string; password?: string; role?: Role; departments?: DepartmentScope; disabled?: boolean },
    nowMs = Date.now(),
  ): Promise<User | undefined> {
    const before = await this.get(name);
    if (!before) return undefined;
    const hash = change.password !== undefined ? await hashSecret(change.password, this.#o.scryptCost) : undefined;
    const disabledAt = change.disabled === undefined ? before.disabledAt : change.disabled ? (before.disabledAt ?? new Date(nowMs).toISOString()) : null;
    this.#db
      .prepare('UPDATE users SET display_name = ?, role = ?, departments = ?, disabled_at = ?, password_hash = COALESCE(?, password_hash) WHERE name = ?')
      .run(change.displayName ?? before.displayName, change.role ?? before.role, JSON.stringify(change.departments ?? before.departments), disabledAt, hash ?? null, name);
    if (hash !== undefined || change.role !== undefined || change.departments !== undefined || change.disabled === true) await this.endSessionsOf(name);
    return this.get(name);
  }

  /** Deletes a user and its sessions; false when there is none. */
  async remove(name: string): Promise<boolean> {
    await this.endSessionsOf(name);
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name).changes === 1;
  }

  /** Checks a password and opens a session; the secret goes into the cookie and is never stored. */
  async signIn(name: string, password: string, nowMs = Date.now()): Promise<SignInResult> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    if (!row) {
      dummyHash ??= hashSecret('not a password', this.#o.scryptCost);
      await verifySecret(password, await dummyHash);
      return { ok: false, reason: 'unknown' };
    }
    if (!(await verifySecret(password, row.password_hash))) return { ok: false, reason: 'password' };
    if (row.disabled_at) return { ok: false, reason: 'disabled' };
    const secret = randomBytes(32).toString('base64url');
    const at = new Date(nowMs).toISOString();
    this.#db.prepare('INSERT INTO user_sessions (id_hash, user_name, created_at, last_used_at) VALUES (?, ?, ?, ?)').run(sha256(secret), name, at, at);
    this.#db.prepare('UPDATE users SET last_sign_in_at = ? WHERE name = ?').run(at, name);
    const user = rowToUser({ ...row, last_sign_in_at: at });
    return { ok: true, secret, session: { user, principal: principalOfUser(user), expiresAt: new Date(nowMs + Math.min(this.#o.idleMs, this.#o.ttlMs)).toISOString() } };
  }

  /** The session of a cookie secret, or undefined (unknown, ended, expired, user disabled); records its use. */
  async session(secret: string, nowMs = Date.now()): Promise<Session | undefined> {
    const idHash = sha256(secret);
    const row = this.#db.prepare('SELECT user_name, created_at, last_used_at FROM user_sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined;
    if (!row) return undefined;
    const hardEnd = Date.parse(row.created_at) + this.#o.ttlMs;
    const idleEnd = Date.parse(row.last_used_at) + this.#o.idleMs;
    if (nowMs >= hardEnd || nowMs >= idleEnd) {
      this.#db.prepare('DELETE FROM user_sessions WHERE id_hash = ?').run(idHash);
      return undefined;
    }
    const user = await this.get(row.user_name);
    if (!user || user.disabledAt) return undefined;
    if (Date.parse(row.last_used_at) < nowMs - TOUCH_RESOLUTION_MS) {
      this.#db.prepare('UPDATE user_sessions SET last_used_at = ? WHERE id_hash = ?').run(new Date(nowMs).toISOString(), idHash);
    }
    return { user, principal: principalOfUser(user), expiresAt: new Date(Math.min(hardEnd, nowMs + this.#o.idleMs)).toISOString() };
  }

  /** Signs a session out (idempotent). */
  async endSession(secret: string): Promise<void> {
    this.#db.prepare('DELETE FROM user_sessions WHERE id_hash = ?').run(sha256(secret));
  }

  async endSessionsOf(name: string): Promise<number> {
    return Number(this.#db.prepare('DELETE FROM user_sessions WHERE user_name = ?').run(name).changes);
  }

  /** Drops expired sessions (run now and then). */
  async sweep(nowMs = Date.now()): Promise<number> {
    const idleBefore = new Date(nowMs - this.#o.idleMs).toISOString();
    const createdBefore = new Date(nowMs - this.#o.ttlMs).toISOString();
    return Number(this.#db.prepare('DELETE FROM user_sessions WHERE last_used_at <= ? OR created_at <= ?').run(idleBefore, createdBefore).changes);
  }
}
