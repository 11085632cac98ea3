/**
 * Web app accounts over HTTP (no browser needed): users created by an admin through the API and
 * the CLI (audited), the session cookie's flags (Secure with the __Host- prefix under TLS),
 * session expiry, brute-force lockout shared with the API's, cross-site changes refused, the
 * page and its assets served with the security headers, and a refused tile host at start.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, parseConfig, startPlatform } from '@shanshui/ingest';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { tlsRequest } from '../support/tls-request.ts';

let tp: TestPlatform;
let base: string;
beforeAll(async () => {
  tp = await startTestPlatform({ authMaxFailures: 4, authFailureDelayMs: 0, sessionIdleMs: 1500 });
  base = `http://127.0.0.1:${tp.platform.httpPort}`;
});
afterAll(async () => {
  await tp?.close();
});

const cliPath = fileURLToPath(new URL('../../ingest/src/cli.ts', import.meta.url));
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, '--api', base, '--token', tp.platform.apiToken, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function signIn(username: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/app/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
}
const cookieOf = (res: Response): string => res.headers.get('set-cookie')!.split(';')[0]!;

test('users: created by an admin through the CLI (password from the environment, or generated and shown once) and the API, audited without the password', async () => {
  const given = await cli({ SHANSHUI_CLI_PASSWORD: 'cli chosen password' }, 'user', 'add', '--name', 'chen', '--role', 'operator', '--departments', 'water,agri', '--display-name', '陈六');
  expect(given.code, given.stderr).toBe(0);
  expect(JSON.parse(given.stdout)).toMatchObject({ name: 'chen', displayName: '陈六', role: 'operator', departments: ['water', 'agri'] });
  expect((await signIn('chen', 'cli chosen password')).status).toBe(200);
  const generated = await cli({}, 'user', 'add', '--name', 'zhou', '--role', 'viewer', '--departments', '*');
  const password = /shown only now: (\S+)/.exec(generated.stderr)?.[1];
  expect(password).toBeDefined();
  expect((await signIn('zhou', password!)).status).toBe(200);
  expect(JSON.parse((await cli({}, 'user', 'disable', 'zhou')).stdout).disabledAt).not.toBeNull();
  expect((await signIn('zhou', password!)).status).toBe(401);
  const list = JSON.parse((await cli({}, 'user', 'list')).stdout) as { items: Array<{ name: string }> };
  expect(list.items.map((u) => u.name)).toEqual(['chen', 'zhou']);

  expect((await tp.api('POST', '/api/v1/users', { name: 'short', password: 'short', role: 'viewer', departments: '*' })).body.error.message).toMatch(/password: at least 12/);
  expect((await tp.api('POST', '/api/v1/users', { name: 'chen', password: 'another long one', role: 'viewer', departments: '*' })).status).toBe(409);
  const audit = (await tp.api('GET', '/api/v1/audit?limit=50')).body.items as Array<{ route: string; target: string; actorName: string; summary: unknown }>;
  const created = audit.find((e) => e.route === '/api/v1/users' && e.target === 'chen')!;
  expect(created.actorName).toBe('admin');
  expect(JSON.stringify(audit)).not.toMatch(/cli chosen password|scrypt/);
  // A scoped admin manages only users of its own departments.
  const waterAdmin = (await tp.api('POST', '/api/v1/tokens', { name: '水务管理员', role: 'admin', departments: ['water'] })).body.token as string;
  expect((await tp.api('POST', '/api/v1/users', { name: 'eco1', password: 'a long password!', role: 'viewer', departments: ['eco-env'] }, waterAdmin)).status).toBe(403);
  expect((await tp.api('GET', '/api/v1/users', undefined, waterAdmin)).body.items).toEqual([]);
});

test('session cookie: HttpOnly, SameSite=Strict, no Secure on plain HTTP; the cookie is the principal, sign-in and sign-out audited under the person', async () => {
  await tp.api('POST', '/api/v1/users', { name: 'lin', displayName: '林七', password: 'lin long password', role: 'viewer', departments: ['water'] });
  const res = await signIn('lin', 'lin long password');
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/^shanshui_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
  const cookie = cookieOf(res);
  const who = await fetch(`${base}/app/session`, { headers: { cookie } });
  expect(await who.json()).toMatchObject({ user: { name: 'lin', role: 'viewer', departments: ['water'] } });
  // Viewer: reading yes, changing no.
  expect((await fetch(`${base}/api/v1/stations`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${base}/api/v1/users`, { headers: { cookie } })).status).toBe(403);
  const out = await fetch(`${base}/app/session`, { method: 'DELETE', headers: { cookie } });
  expect(out.status).toBe(204);
  expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  expect((await fetch(`${base}/api/v1/stations`, { headers: { cookie } })).status).toBe(401);
  const audit = (await tp.api('GET', '/api/v1/audit?limit=20')).body.items as Array<{ route: string; method: string; actorId: string; actorRole: string }>;
  expect(audit.filter((e) => e.route === '/app/session' && e.actorId === 'user:lin').map((e) => e.method).sort()).toEqual(['DELETE', 'POST']);
});

test('a session ends after its idle time; a change with a cookie from another site is refused', async () => {
  await tp.api('POST', '/api/v1/users', { name: 'he', password: 'he long password', role: 'operator', departments: '*' });
  const cookie = cookieOf(await signIn('he', 'he long password'));
  const cross = await fetch(`${base}/api/v1/alerts/none/ack`, { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
  expect(cross.status).toBe(403);
  expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('API_ERR_CROSS_SITE');
  const same = await fetch(`${base}/api/v1/alerts/none/ack`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'application/json' }, body: '{}' });
  expect(same.status).toBe(404);
  await new Promise((r) => setTimeout(r, 1700));
  const expired = await fetch(`${base}/api/v1/stations`, { headers: { cookie } });
  expect(expired.status).toBe(401);
  expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('API_ERR_SESSION_ENDED');
});

test('brute force: failed sign-ins lock the address like bad API tokens (429 + Retry-After, even with the right password)', async () => {
  // Every request here comes from 127.0.0.1, which the other tests use too: lock a platform of its own.
  const lone = await startTestPlatform({ authMaxFailures: 3, authFailureDelayMs: 0 });
  try {
    await lone.api('POST', '/api/v1/users', { name: 'guess-me', password: 'the right password', role: 'viewer', departments: '*' });
    const url = `http://127.0.0.1:${lone.platform.httpPort}/app/session`;
    const attempt = (password: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'guess-me', password }) });
    for (let i = 0; i < 3; i++) expect((await attempt(`wrong ${i}`)).status).toBe(401);
    const locked = await attempt('the right password');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same address is locked for bearer tokens too: one lockout.
    expect((await lone.api('GET', '/api/v1/stations', undefined, 'not-a-token')).status).toBe(429);
    const metrics = await (await fetch(`http://127.0.0.1:${lone.platform.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/shanshui_auth_failures_total\{kind="web"\} 3/);
  } finally {
    await lone.close();
  }
});

test('the page and its assets: served at / with CSP and frame-ancestors; the bundle is from this origin; /app endpoints need a session', async () => {
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  const html = await page.text();
  for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((s) => !s.startsWith('data:'))) {
    expect(src.startsWith('http')).toBe(false);
    expect((await fetch(new URL(src, `${base}/`))).status, src).toBe(200);
  }
  expect((await fetch(`${base}/assets/maplibre-gl-worker.mjs`)).status).toBe(200);
  expect((await fetch(`${base}/assets/boundaries.geojson`)).status).toBe(200);
  expect((await fetch(`${base}/app/config.json`)).status).toBe(401);
  expect((await fetch(`${base}/app/live`)).status).toBe(401);
  const config = await tp.api('GET', '/app/config.json');
  expect(config.body.basemap).toEqual({ kind: 'none', tiles: [], labels: [], attribution: '' });
});

test('under TLS: the page on HTTPS, the cookie Secure with the __Host- prefix; a private tile host is refused at start unless allow-listed', async () => {
  const certs = await tempDir('shanshui-certs-');
  try {
    execFileSync('bash', [fileURLToPath(new URL('../../scripts/dev-ca.sh', import.meta.url)), certs.dir], { stdio: 'ignore' });
    const ca = readFileSync(path.join(certs.dir, 'ca.pem'));
    const secure = await startTestPlatform(
      { httpsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key'), mapBasemap: 'xyz', mapTileUrl: 'http://10.20.0.5:8080/{z}/{x}/{y}.png', mapTileAllowHosts: ['10.20.0.5'] },
      { apiCa: ca },
    );
    try {
      await secure.api('POST', '/api/v1/users', { name: 'tls-user', password: 'tls long password', role: 'viewer', departments: '*' });
      const httpsBase = `https://127.0.0.1:${secure.platform.httpsPort}`;
      const res = await tlsRequest(`${httpsBase}/app/session`, { method: 'POST', body: { username: 'tls-user', password: 'tls long password' }, ca });
      expect(res.status).toBe(200);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/^__Host-shanshui_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/);
      const page = await tlsRequest(`${httpsBase}/`, { ca });
      expect(page.status).toBe(200);
      expect(String(page.headers['content-security-policy'])).toContain('img-src \'self\' data: blob: http://10.20.0.5:8080');
      // Plain HTTP keeps only the probes once TLS is on; the page is not among them.
      expect((await fetch(`http://127.0.0.1:${secure.platform.httpPort}/`)).status).toBe(403);
    } finally {
      await secure.close();
    }
    const dir = await tempDir();
    try {
      const config = parseConfig({ dataDir: dir.dir, host: '127.0.0.1', mqttPort: 0, httpPort: 0, influxUrl: 'http://127.0.0.1:9', logLevel: 'silent', mapBasemap: 'xyz', mapTileUrl: 'http://10.20.0.5/{z}/{x}/{y}.png' });
      await expect(startPlatform(config, createLogger('silent'))).rejects.toThrow(/SHANSHUI_MAP_TILE_URL: 10\.20\.0\.5 is a private address; list the host in SHANSHUI_MAP_TILE_ALLOW_HOSTS/);
    } finally {
      await dir.remove();
    }
  } finally {
    await certs.remove();
  }
});
