/**
 * Who may do what, for the HTTP API, as fastify hooks:
 * 1. onRoute: every `/api/v1` route declares `config: { permission }` — a route without one
 *    stops the API from being built — and the route table is kept (the matrix test walks it).
 * 2. onRequest: an address locked out after repeated bad tokens gets 429 + Retry-After (even
 *    with a good token); the bearer token names the principal (bootstrap admin or an API
 *    token; a bad one is answered slowly and counted) — or, without one, the web app's session
 *    cookie names a signed-in user (a change through a cookie must come from the platform's
 *    own page: SameSite=Strict, and a foreign Origin is refused); its role must hold the
 *    permission (403).
 * 3. Routes check the department scope with `inScope` (404 for items: existence is not leaked)
 *    and `requireScope` (403 with the reason, when creating for another department).
 * 4. onSend: every successful POST/PUT/PATCH/DELETE is written to the audit log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SharedLockout } from '@shanshui/broker';
import { HttpError } from './http-error.ts';
import { headerText } from './header-text.ts';
import { isRoutePermission, roleAllows } from '../auth/permissions.ts';
import type { RoutePermission } from '../auth/permissions.ts';
import { BOOTSTRAP_ADMIN, coversAll, departmentFilter } from '../auth/principal.ts';
import type { Principal } from '../auth/principal.ts';
import { API_TOKEN_PREFIX } from '../auth/api-token-store.ts';
import type { ApiTokenStore } from '../auth/api-token-store.ts';
import type { AuditLog } from '../auth/audit-log.ts';
import type { UserStore } from '../auth/user-store.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { sessionSecretOf } from './session-cookie.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller's role must hold; 'public' = no bearer token. Required on every /api/v1 route. */
    permission?: RoutePermission;
  }
  interface FastifyRequest {
    principal: Principal | null;
    auditNote: AuditNote | null;
  }
}

/** What a route tells the audit log beyond the defaults (target = `:id`, summary = the body without secrets). */
export interface AuditNote {
  target?: string;
  departments?: readonly string[] | null;
  summary?: unknown;
  actor?: { id: string; name: string; role: string };
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly permission: RoutePermission;
}

export interface AuthDeps {
  readonly logger: Logger;
  /** The bootstrap super-admin token (config `apiToken` / `{dataDir}/admin-token`), scope '*'. */
  readonly apiToken: string;
  readonly tokens: ApiTokenStore;
  readonly audit: AuditLog;
  /** Bad bearer tokens per client address. */
  /** Per client address; shared by every node when the platform has a Redis link. */
  readonly lockout: SharedLockout;
  readonly metrics: Pick<PlatformMetrics, 'authFailures' | 'authLockouts'>;
  /** People signed in to the web app (session cookie); without it only bearer tokens are taken. */
  readonly users?: UserStore;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Installs the hooks; call before any route is registered. */
export function installAuth(app: FastifyInstance, deps: AuthDeps): void {
  const log = deps.logger.child({ component: 'api-auth' });
  const table: RouteEntry[] = [];
  routeTables.set(app, table);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditNote', null);

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (!url.startsWith('/api/v1/')) return;
    const permission = route.config?.permission;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    if (!isRoutePermission(permission)) throw new Error(`route ${methods.join(',')} ${url} declares no permission (config: { permission })`);
    for (const method of methods) table.push({ method, url, permission });
  });

  const identify = async (token: string): Promise<Principal | string> => {
    if (sameToken(token, deps.apiToken)) return BOOTSTRAP_ADMIN;
    if (!token.startsWith(API_TOKEN_PREFIX)) return 'unknown';
    const check = await deps.tokens.verify(token);
    return check.ok ? check.principal : check.reason;
  };

  // Decided by the matched route, never by the raw URL: the router decodes %xx before it
  // matches, so `/%61pi/v1/rules` reaches the /api/v1/rules handler and must be checked as one.
  app.addHook('onRequest', async (req, reply) => {
    const permission = req.routeOptions.config?.permission;
    if (permission === undefined || permission === 'public') return;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const sessionSecret = header === '' && deps.users ? sessionSecretOf(req) : undefined;
    if (sessionSecret !== undefined && deps.users) {
      // 256 random bits cannot be guessed, so a session is not held back by an address lock
      // (the office behind it keeps working), and an ended one is not counted as a failure.
      const session = await deps.users.session(sessionSecret);
      if (!session) throw new HttpError('API_ERR_SESSION_ENDED', 'the session has ended; sign in again (会话已过期，请重新登录)');
      if (MUTATING.has(req.method)) {
        const origin = req.headers.origin;
        if (origin !== undefined && URL.parse(origin)?.host !== req.host) {
          throw new HttpError('API_ERR_CROSS_SITE', `a change with a session cookie must come from this platform's own page, not ${origin}`);
        }
      }
      req.principal = session.principal;
      req.auditNote = {};
      if (!roleAllows(session.principal.role, permission)) throw new HttpError('API_ERR_FORBIDDEN', `role ${session.principal.role} may not ${permission}`);
      return;
    }
    // A locked address (a script with a stale token, or someone guessing) is refused — except
    // for the platform's own API tokens that verify: 256 random bits cannot be guessed, so the
    // office behind the same address keeps working. The configured admin token is not exempt.
    const lockedMs = await deps.lockout.lockedFor(req.ip);
    const exempt = lockedMs > 0 && token.startsWith(API_TOKEN_PREFIX) && !sameToken(token, deps.apiToken) && typeof (await identify(token)) !== 'string';
    if (lockedMs > 0 && !exempt) {
      reply.header('retry-after', String(Math.ceil(lockedMs / 1000)));
      throw new HttpError('API_ERR_LOCKED_OUT', `too many bad tokens from ${req.ip}; locked for another ${Math.ceil(lockedMs / 1000)} s`);
    }
    if (!token) throw new HttpError('API_ERR_UNAUTHORIZED', 'missing bearer token');
    const who = await identify(token);
    if (typeof who === 'string') {
      deps.metrics.authFailures.inc({ kind: 'api' });
      const { delayMs, locked } = await deps.lockout.fail(req.ip);
      if (locked) {
        deps.metrics.authLockouts.inc({ kind: 'api' });
        log.warn({ ip: req.ip }, 'address locked out after repeated bad API tokens');
      } else {
        log.info({ ip: req.ip, reason: who }, 'bad API token');
      }
      if (delayMs > 0) await sleep(delayMs);
      throw new HttpError('API_ERR_UNAUTHORIZED', who === 'unknown' ? 'wrong bearer token' : `bearer token ${who}`);
    }
    req.principal = who;
    req.auditNote = {};
    if (!roleAllows(who.role, permission)) {
      throw new HttpError('API_ERR_FORBIDDEN', `role ${who.role} may not ${permission}`);
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!MUTATING.has(req.method) || reply.statusCode >= 400 || req.routeOptions.config?.permission === undefined) return payload;
    const note = req.auditNote ?? {};
    const params = req.params as Record<string, unknown> | undefined;
    try {
      await deps.audit.append({
        actor: note.actor ?? req.principal ?? { id: 'anonymous', name: 'anonymous', role: 'none' },
        ip: req.ip,
        method: req.method,
        route: req.routeOptions.url ?? req.url,
        status: reply.statusCode,
        target: note.target ?? (params && typeof params['id'] === 'string' ? params['id'] : null),
        departments: note.departments ?? null,
        summary: note.summary !== undefined ? note.summary : req.body,
      });
    } catch (err) {
      // The change is made; refusing the answer now would invite a retry of it.
      log.error({ err, method: req.method, url: req.url }, 'audit entry not written');
    }
    return payload;
  });
}

/** The `/api/v1` routes with their declared permission (for the role × department matrix test). */
export function routeTableOf(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new HttpError('API_ERR_UNAUTHORIZED', 'missing bearer token');
  return req.principal;
}

/**
 * The name stores keep in their own trails: the token's name; the bootstrap admin may name the
 * human with `X-Shanshui-Actor` — Chinese names included, as RFC 8187 `X-Shanshui-Actor*:
 * UTF-8''%E5%BA%94…` or as the raw UTF-8 bytes curl sends (see header-text.ts).
 */
export function actorOf(req: FastifyRequest): string {
  const p = principalOf(req);
  if (p !== BOOTSTRAP_ADMIN) return p.name;
  const named = headerText(req.headers, 'x-shanshui-actor');
  return named ? named.slice(0, 100) : p.name;
}

const asList = (d: string | readonly string[] | undefined): readonly string[] | undefined => (typeof d === 'string' ? [d] : d);

/**
 * Whether the caller's scope covers something of `departments` (a string, a list, or
 * undefined = global). When it does, the departments are noted for the audit entry.
 */
export function inScope(req: FastifyRequest, departments: string | readonly string[] | undefined): boolean {
  const list = asList(departments);
  if (!coversAll(principalOf(req), list)) return false;
  // Union with what the request already touched: a rule or subscription moved from one
  // department to another is audited under both, so the old one sees it was taken away.
  const touched = list && list.length > 0 ? list : null;
  const before = req.auditNote?.departments;
  addAuditNote(req, { departments: before && touched ? [...new Set([...before, ...touched])] : (touched ?? before ?? null) });
  return true;
}

/** 403 with the reason unless the caller may act for `departments` (creating, or changing the departments of, something). */
export function requireScope(req: FastifyRequest, departments: string | readonly string[] | undefined, what: string): void {
  if (inScope(req, departments)) return;
  const p = principalOf(req);
  const list = asList(departments);
  const target = list && list.length > 0 ? `department(s) ${list.join(', ')}` : 'all departments (no department named)';
  throw new HttpError('API_ERR_OUT_OF_SCOPE', `${what} for ${target} is outside this token's scope (${p.departments === '*' ? '*' : p.departments.join(', ')})`);
}

/** Departments a list is filtered to; undefined = no filter (scope '*'). */
export function scopeFilter(req: FastifyRequest): readonly string[] | undefined {
  return departmentFilter(principalOf(req));
}

export function addAuditNote(req: FastifyRequest, note: AuditNote): void {
  req.auditNote = { ...req.auditNote, ...note };
}
