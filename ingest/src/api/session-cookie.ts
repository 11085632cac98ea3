/**
 * The web app's session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site
 * sends it along), and under TLS `Secure` with the `__Host-` prefix (only this host, only
 * HTTPS, path /). On plain HTTP (the demo, a closed network) the same cookie without `Secure`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'shanshui_session';
export const SESSION_COOKIE_TLS = '__Host-shanshui_session';

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

/** The session secret the request carries (the TLS cookie only over HTTPS), or undefined. */
export function sessionSecretOf(req: FastifyRequest): string | undefined {
  const cookies = parseCookies(req.headers.cookie);
  const v = req.protocol === 'https' ? cookies.get(SESSION_COOKIE_TLS) : cookies.get(SESSION_COOKIE);
  return v && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined;
}

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, secret: string, maxAgeSec: number): void {
  const tls = req.protocol === 'https';
  const name = tls ? SESSION_COOKIE_TLS : SESSION_COOKIE;
  reply.header('set-cookie', `${name}=${secret}; Path=/; Max-Age=${maxAgeSec}; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`);
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  const tls = req.protocol === 'https';
  reply.header('set-cookie', `${tls ? SESSION_COOKIE_TLS : SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`);
}
