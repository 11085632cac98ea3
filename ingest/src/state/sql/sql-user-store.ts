/** UserStore in SQL: passwords as scrypt hashes, sessions as sha256 of their 256-bit secrets. */
import { createHash, randomBytes } from 'node:crypto';
import { hashSecret, verifySecret } from '../device-secret.ts';
import type { Role } from '../../auth/permissions.ts';
import type { DepartmentScope } from '../../auth/principal.ts';
import { principalOfUser, USER_STORE_DEFAULTS } from '../../auth/user-store.ts';
import type { Session, SignInResult, User, UserStore, UserStoreOptions } from '../../auth/user-store.ts';
import type { SqlClient } from './sql-client.ts';

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

const USER_COLUMNS = 'name, display_name, password_hash, role, departments, created_at, created_by, disabled_at, last_sign_in_at';

export class SqlUserStore implements UserStore {
  readonly #sql: SqlClient;
  readonly #o: UserStoreOptions;

  constructor(sql: SqlClient, options: Partial<UserStoreOptions> = {}) {
    this.#sql = sql;
    this.#o = { ...USER_STORE_DEFAULTS, ...options };
  }

  get options(): UserStoreOptions {
    return this.#o;
  }

  async #row(name: string): Promise<UserRow | undefined> {
    return this.#sql.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`, [name]);
  }

  async create(u: { name: string; displayName: string; password: string; role: Role; departments: DepartmentScope; createdBy: string }, nowMs = Date.now()): Promise<User | undefined> {
    const hash = await hashSecret(u.password, this.#o.scryptCost);
    const result = await this.#sql.run(
      'INSERT INTO users (name, display_name, password_hash, role, departments, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [u.name, u.displayName, hash, u.role, JSON.stringify(u.departments), new Date(nowMs).toISOString(), u.createdBy],
    );
    return result.changes === 1 ? this.get(u.name) : undefined;
  }

  async get(name: string): Promise<User | undefined> {
    const row = await this.#row(name);
    return row ? rowToUser(row) : undefined;
  }

  async list(): Promise<User[]> {
    return (await this.#sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name`)).map(rowToUser);
  }

  async update(
    name: string,
    change: { displayName?: string; password?: string; role?: Role; departments?: DepartmentScope; disabled?: boolean },
    nowMs = Date.now(),
  ): Promise<User | undefined> {
    const before = await this.get(name);
    if (!before) return undefined;
    const hash = change.password !== undefined ? await hashSecret(change.password, this.#o.scryptCost) : null;
    const disabledAt = change.disabled === undefined ? before.disabledAt : change.disabled ? (before.disabledAt ?? new Date(nowMs).toISOString()) : null;
    await this.#sql.run('UPDATE users SET display_name = ?, role = ?, departments = ?, disabled_at = ?, password_hash = COALESCE(?, password_hash) WHERE name = ?', [
      change.displayName ?? before.displayName,
      change.role ?? before.role,
      JSON.stringify(change.departments ?? before.departments),
      disabledAt,
      hash,
      name,
    ]);
    if (hash !== null || change.role !== undefined || change.departments !== undefined || change.disabled === true) await this.endSessionsOf(name);
    return this.get(name);
  }

  async remove(name: string): Promise<boolean> {
    await this.endSessionsOf(name);
    return (await this.#sql.run('DELETE FROM users WHERE name = ?', [name])).changes === 1;
  }

  async signIn(name: string, password: string, nowMs = Date.now()): Promise<SignInResult> {
    const row = await this.#row(name);
    if (!row) {
      dummyHash ??= hashSecret('not a password', this.#o.scryptCost);
      await verifySecret(password, await dummyHash);
      return { ok: false, reason: 'unknown' };
    }
    if (!(await verifySecret(password, row.password_hash))) return { ok: false, reason: 'password' };
    if (row.disabled_at) return { ok: false, reason: 'disabled' };
    const secret = randomBytes(32).toString('base64url');
    const at = new Date(nowMs).toISOString();
    await this.#sql.run('INSERT INTO user_sessions (id_hash, user_name, created_at, last_used_at) VALUES (?, ?, ?, ?)', [sha256(secret), name, at, at]);
    await this.#sql.run('UPDATE users SET last_sign_in_at = ? WHERE name = ?', [at, name]);
    const user = rowToUser({ ...row, last_sign_in_at: at });
    return { ok: true, secret, session: { user, principal: principalOfUser(user), expiresAt: new Date(nowMs + Math.min(this.#o.idleMs, this.#o.ttlMs)).toISOString() } };
  }

  async session(secret: string, nowMs = Date.now()): Promise<Session | undefined> {
    const idHash = sha256(secret);
    const row = await this.#sql.get<SessionRow>('SELECT user_name, created_at, last_used_at FROM user_sessions WHERE id_hash = ?', [idHash]);
    if (!row) return undefined;
    const hardEnd = Date.parse(row.created_at) + this.#o.ttlMs;
    const idleEnd = Date.parse(row.last_used_at) + this.#o.idleMs;
    if (nowMs >= hardEnd || nowMs >= idleEnd) {
      await this.#sql.run('DELETE FROM user_sessions WHERE id_hash = ?', [idHash]);
      return undefined;
    }
    const user = await this.get(row.user_name);
    if (!user || user.disabledAt) return undefined;
    if (Date.parse(row.last_used_at) < nowMs - TOUCH_RESOLUTION_MS) {
      await this.#sql.run('UPDATE user_sessions SET last_used_at = ? WHERE id_hash = ?', [new Date(nowMs).toISOString(), idHash]);
    }
    return { user, principal: principalOfUser(user), expiresAt: new Date(Math.min(hardEnd, nowMs + this.#o.idleMs)).toISOString() };
  }

  async endSession(secret: string): Promise<void> {
    await this.#sql.run('DELETE FROM user_sessions WHERE id_hash = ?', [sha256(secret)]);
  }

  async endSessionsOf(name: string): Promise<number> {
    return (await this.#sql.run('DELETE FROM user_sessions WHERE user_name = ?', [name])).changes;
  }

  async sweep(nowMs = Date.now()): Promise<number> {
    const idleBefore = new Date(nowMs - this.#o.idleMs).toISOString();
    const createdBefore = new Date(nowMs - this.#o.ttlMs).toISOString();
    return (await this.#sql.run('DELETE FROM user_sessions WHERE last_used_at <= ? OR created_at <= ?', [idleBefore, createdBefore])).changes;
  }
}
