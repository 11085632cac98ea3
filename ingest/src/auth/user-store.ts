/**
 * People who sign in to the 一张图 web app: a user name and a password (kept only as a scrypt
 * hash — people choose passwords, so the hash must be slow), with the same role and
 * department scope as an API token. A sign-in opens a session: 256 random bits in an HttpOnly
 * cookie, kept here as sha256 (like API tokens: their entropy makes a slow hash pointless),
 * ending after `idleMs` without use or `ttlMs` after sign-in, whichever comes first, or at
 * sign-out. Disabling a user or changing the password ends the user's sessions.
 *
 * The interface; state/sql/sql-user-store.ts implements it on SQLite and PostgreSQL.
 */
import { DEFAULT_SCRYPT_COST } from '../state/device-secret.ts';
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
  /** scrypt cost N for passwords. Default DEFAULT_SCRYPT_COST (16384). */
  readonly scryptCost: number;
  /** A session ends this long after its last use, ms. Default 3600000 (1 h). */
  readonly idleMs: number;
  /** A session ends this long after sign-in whatever its use, ms. Default 43200000 (12 h). */
  readonly ttlMs: number;
}

export const USER_STORE_DEFAULTS: UserStoreOptions = { scryptCost: DEFAULT_SCRYPT_COST, idleMs: 3_600_000, ttlMs: 43_200_000 };

export type SignInResult = { readonly ok: true; readonly secret: string; readonly session: Session } | { readonly ok: false; readonly reason: 'unknown' | 'disabled' | 'password' };

export const principalOfUser = (u: User): Principal => ({ id: `${USER_PRINCIPAL_PREFIX}${u.name}`, name: u.name, role: u.role, departments: u.departments });

export interface UserStore {
  readonly options: UserStoreOptions;
  /** Creates a user; undefined when the name is taken. */
  create(u: { name: string; displayName: string; password: string; role: Role; departments: DepartmentScope; createdBy: string }, nowMs?: number): Promise<User | undefined>;
  get(name: string): Promise<User | undefined>;
  /** By name. */
  list(): Promise<User[]>;
  /** Changes a user; a new password, role or scope, or disabling, ends every session of the user. */
  update(name: string, change: { displayName?: string; password?: string; role?: Role; departments?: DepartmentScope; disabled?: boolean }, nowMs?: number): Promise<User | undefined>;
  /** Deletes a user and its sessions; false when there is none. */
  remove(name: string): Promise<boolean>;
  /** Checks a password and opens a session; the secret goes into the cookie and is never stored. */
  signIn(name: string, password: string, nowMs?: number): Promise<SignInResult>;
  /** The session of a cookie secret, or undefined (unknown, ended, expired, user disabled); records its use. */
  session(secret: string, nowMs?: number): Promise<Session | undefined>;
  /** Signs a session out (idempotent). */
  endSession(secret: string): Promise<void>;
  endSessionsOf(name: string): Promise<number>;
  /** Drops expired sessions (run now and then). */
  sweep(nowMs?: number): Promise<number>;
}
