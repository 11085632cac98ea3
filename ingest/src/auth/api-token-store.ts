/**
 * API tokens: `ssk_` + 256 random bits, shown once and kept as sha256 (their entropy makes a
 * slow hash pointless), each with a role, a department scope and an expiry; revoked tokens
 * stay listed (without secrets) so the audit log's actors keep a name.
 */
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

export type TokenCheck = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'revoked' };

export interface ApiTokenStore {
  /** Creates a token; the secret is returned only here. */
  create(t: { name: string; role: Role; departments: DepartmentScope; ttlSec: number; createdBy: string }, nowMs?: number): Promise<{ token: ApiToken; secret: string }>;
  /** The principal of a presented secret, or why it is not one. */
  verify(secret: string, nowMs?: number): Promise<TokenCheck>;
  get(id: string, nowMs?: number): Promise<ApiToken | undefined>;
  /** Newest first. */
  list(nowMs?: number): Promise<ApiToken[]>;
  /** Revokes a token (idempotent); false when there is no such token. */
  revoke(id: string, by: string, nowMs?: number): Promise<boolean>;
}
