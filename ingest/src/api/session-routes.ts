/**
 * Signing in to the 一张图 web app (the page's own endpoints, outside the `/api/v1` contract):
 *   POST   /app/session {username, password} → 200 + the session cookie, or 401; bad passwords
 *          count against the address exactly like bad API tokens (slower answers, then 429
 *          + Retry-After while locked, even with the right password)
 *   GET    /app/session → who is signed in (401 when nobody)
 *   DELETE /app/session → signs out (204), the cookie cleared
 * Sign-in and sign-out are audited under the person.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiPlugin } from './api-plugin.ts';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SharedLockout } from '@shanshui/broker';
import type { UserStore } from '../auth/user-store.ts';
import { principalOfUser } from '../auth/user-store.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { addAuditNote, principalOf } from './request-auth.ts';
import { clearSessionCookie, sessionSecretOf, setSessionCookie } from './session-cookie.ts';

const SignIn = z.object({ username: z.string().trim().min(1, 'user name').max(64), password: z.string().min(1, 'password').max(256) }).strict();

export interface SessionRouteOptions {
  readonly users: UserStore;
  /** The API's lockout of client addresses (bad tokens and bad passwords count together). */
  readonly lockout: SharedLockout;
  readonly metrics: Pick<PlatformMetrics, 'authFailures' | 'authLockouts'>;
  readonly logger: Logger;
}

/** Outside the /api/v1 contract: the body is parsed in the handler, after the lockout check (a locked address gets 429 whatever it sends). */
export const sessionRoutes: ApiPlugin<SessionRouteOptions> = async (app, deps) => {
  const log = deps.logger.child({ component: 'web-session' });
  app.post('/app/session', { config: { permission: 'public' } }, async (req, reply) => {
    const lockedMs = await deps.lockout.lockedFor(req.ip);
    if (lockedMs > 0) {
      reply.header('retry-after', String(Math.ceil(lockedMs / 1000)));
      throw new HttpError('API_ERR_LOCKED_OUT', `too many failed sign-ins from ${req.ip}; locked for another ${Math.ceil(lockedMs / 1000)} s (登录失败次数过多，请稍后再试)`);
    }
    const body = parseOr400(SignIn, req.body, 'sign-in');
    const result = await deps.users.signIn(body.username, body.password);
    if (!result.ok) {
      deps.metrics.authFailures.inc({ kind: 'web' });
      const { delayMs, locked } = await deps.lockout.fail(req.ip);
      if (locked) {
        deps.metrics.authLockouts.inc({ kind: 'web' });
        log.warn({ ip: req.ip }, 'address locked out after repeated failed sign-ins');
      } else {
        log.info({ ip: req.ip, user: body.username, reason: result.reason }, 'sign-in refused');
      }
      if (delayMs > 0) await sleep(delayMs);
      // One answer for an unknown name and a wrong password: the page does not confirm names.
      throw new HttpError('API_ERR_SIGN_IN', result.reason === 'disabled' ? 'this account is disabled (账号已停用)' : 'wrong user name or password (用户名或密码错误)');
    }
    await deps.lockout.succeed(req.ip);
    const { session } = result;
    setSessionCookie(req, reply, result.secret, Math.floor(deps.users.options.ttlMs / 1000));
    addAuditNote(req, { actor: session.principal, target: session.user.name, departments: session.user.departments === '*' ? null : session.user.departments, summary: { signedIn: session.user.name } });
    return { user: session.user, expiresAt: session.expiresAt };
  });

  app.get('/app/session', { config: { permission: 'stations:read' } }, async (req) => {
    const p = principalOf(req);
    const secret = sessionSecretOf(req);
    const session = secret ? await deps.users.session(secret) : undefined;
    // A script with a bearer token asking who it is gets its principal.
    return session ? { user: session.user, expiresAt: session.expiresAt } : { user: { name: p.name, displayName: p.name, role: p.role, departments: p.departments }, expiresAt: null };
  });

  app.delete('/app/session', { config: { permission: 'public' } }, async (req, reply) => {
    const secret = sessionSecretOf(req);
    const session = secret ? await deps.users.session(secret) : undefined;
    if (secret) await deps.users.endSession(secret);
    clearSessionCookie(req, reply);
    if (session) addAuditNote(req, { actor: principalOfUser(session.user), target: session.user.name, departments: session.user.departments === '*' ? null : session.user.departments, summary: { signedOut: session.user.name } });
    else addAuditNote(req, { summary: { signedOut: null } });
    return reply.code(204).send();
  });
};
