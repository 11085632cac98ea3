/**
 * API tokens (shown once, hashed, expiring, revocable), global rules and subscriptions, the
 * scoped audit log — and brute force: bad bearer tokens per address, bad MQTT secrets per
 * device id and per address are slowed, then locked out (even good credentials refused),
 * counted in /metrics. Lockout windows are configured small; nothing asserts a duration.
 */
import { test, beforeAll, afterAll, vi } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ConnectRefused, connectOnce, endQuietly } from '../support/mqtt-device.ts';
import { metricValue } from '../support/prometheus-text.ts';
import { connectPacket } from '../support/raw-mqtt.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ defaultRules: false });
});
afterAll(async () => {
  await tp?.close();
});

async function token(name: string, role: string, departments: '*' | string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await tp.api('POST', '/api/v1/tokens', { name, role, departments, ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id, secret: res.body.token };
}

test('API tokens: shown once, listed without secrets, expire, revoked at once; scoped admins stay in their scope', async () => {
  const water = await token('water-admin', 'admin', ['water']);
  assert.match(water.secret, /^ssk_/);
  const listed = await tp.api('GET', '/api/v1/tokens');
  assert.equal(listed.status, 200);
  assert.ok(listed.body.items.some((t: any) => t.id === water.id && t.state === 'active' && t.role === 'admin'));
  assert.ok(!JSON.stringify(listed.body).includes(water.secret.slice(4)), 'no secret in the list');
  assert.ok(listed.body.items.every((t: any) => t.token === undefined && t.tokenHash === undefined));

  // A department admin: tokens only inside its departments, never '*'; sees only those.
  const escalate = await tp.api('POST', '/api/v1/tokens', { name: 'x', role: 'admin', departments: '*' }, water.secret);
  assert.equal(escalate.status, 403);
  assert.equal(escalate.body.error.code, 'API_ERR_OUT_OF_SCOPE');
  assert.equal((await tp.api('POST', '/api/v1/tokens', { name: 'x', role: 'viewer', departments: ['water', 'eco-env'] }, water.secret)).status, 403);
  const own = await tp.api('POST', '/api/v1/tokens', { name: 'water-viewer', role: 'viewer', departments: ['water'] }, water.secret);
  assert.equal(own.status, 201);
  const seen = (await tp.api('GET', '/api/v1/tokens', undefined, water.secret)).body.items.map((t: any) => t.name);
  assert.ok(seen.includes('water-viewer') && seen.includes('water-admin') && !seen.some((n: string) => n.startsWith('centre')));

  const shortLived = await token('short', 'viewer', ['water'], { ttlSec: 1 });
  assert.equal((await tp.api('GET', '/api/v1/stations', undefined, shortLived.secret)).status, 200);
  // Its second passes on the clock (fake Date) instead of being slept through.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + 1100);
  const expired = await tp.api('GET', '/api/v1/stations', undefined, shortLived.secret).finally(() => vi.useRealTimers());
  assert.equal(expired.status, 401);
  assert.match(expired.body.error.message, /expired/);

  assert.equal((await tp.api('DELETE', `/api/v1/tokens/${own.body.id}`, undefined, water.secret)).status, 204);
  const revoked = await tp.api('GET', '/api/v1/stations', undefined, own.body.token);
  assert.equal(revoked.status, 401);
  assert.match(revoked.body.error.message, /revoked/);
  assert.equal((await tp.api('GET', '/api/v1/tokens')).body.items.find((t: any) => t.id === own.body.id).state, 'revoked');
  assert.equal((await tp.api('DELETE', '/api/v1/tokens/tok_unknown')).status, 404);
  assert.equal((await tp.api('GET', '/api/v1/stations', undefined, 'ssk_made-up')).status, 401);
  const bad = await tp.api('POST', '/api/v1/tokens', { name: 'x', role: 'root', departments: [] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /role/);
});

test('global rules are read by every department, changed only by "*"; global subscriptions are "*" only', async () => {
  const waterOps = await token('water-ops', 'operator', ['water']);
  const centre = await token('centre-ops', 'operator', '*');
  const global = { id: 'pm25-global', name: 'PM2.5 全市', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 150 } };
  const refused = await tp.api('POST', '/api/v1/rules', global, waterOps.secret);
  assert.equal(refused.status, 403);
  assert.match(refused.body.error.message, /all departments \(no department named\) is outside this token's scope \(water\)/);
  assert.equal((await tp.api('POST', '/api/v1/rules', global, centre.secret)).status, 201);
  assert.equal((await tp.api('GET', '/api/v1/rules/pm25-global', undefined, waterOps.secret)).status, 200, 'readable');
  assert.ok((await tp.api('GET', '/api/v1/rules', undefined, waterOps.secret)).body.items.some((r: any) => r.id === 'pm25-global'));
  assert.equal((await tp.api('PUT', '/api/v1/rules/pm25-global', { ...global, name: 'mine now' }, waterOps.secret)).status, 403);
  assert.equal((await tp.api('DELETE', '/api/v1/rules/pm25-global', undefined, waterOps.secret)).status, 403);
  // A department may override a global rule for its own stations, and may not move a rule out of its scope.
  const override = { id: 'pm25-water', name: 'PM2.5 水务', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 200 }, scope: { department: 'water' }, replaces: 'pm25-global' };
  assert.equal((await tp.api('POST', '/api/v1/rules', override, waterOps.secret)).status, 201);
  assert.equal((await tp.api('PUT', '/api/v1/rules/pm25-water', { ...override, scope: { department: 'eco-env' } }, waterOps.secret)).status, 403);

  const sub = { name: '应急管理局', url: 'http://127.0.0.1:9/hook', secret: 'a-webhook-secret-of-24-chars!' };
  assert.equal((await tp.api('POST', '/api/v1/subscriptions', sub, waterOps.secret)).status, 403);
  const created = await tp.api('POST', '/api/v1/subscriptions', sub, centre.secret);
  assert.equal(created.status, 201);
  assert.equal((await tp.api('GET', `/api/v1/subscriptions/${created.body.subscription.id}`, undefined, waterOps.secret)).status, 404);
  assert.ok(!(await tp.api('GET', '/api/v1/subscriptions', undefined, waterOps.secret)).body.items.some((s: any) => s.id === created.body.subscription.id));
});

test('audit log: who, what, target, from where; a department sees its own entries only; never a secret', async () => {
  const tech = await token('water-tech', 'technician', ['water']);
  const reg = await tp.api('POST', '/api/v1/stations', { id: 'aud-w-1', name: '审计站', domain: 'water', lat: 23.1, lon: 113.3, region: '440106', department: 'water' }, tech.secret);
  assert.equal(reg.status, 201);
  await tp.api('POST', '/api/v1/stations', { id: 'aud-e-1', name: '审计站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: 'eco-env' });
  const rotated = await tp.api('POST', '/api/v1/stations/aud-w-1/credentials', undefined, tech.secret);
  assert.equal(rotated.status, 201);

  const mine = (await tp.api('GET', `/api/v1/audit?actor=${tech.id}`)).body.items;
  assert.deepEqual(mine.map((e: any) => [e.method, e.route, e.target, e.status]), [
    ['POST', '/api/v1/stations/:id/credentials', 'aud-w-1', 201],
    ['POST', '/api/v1/stations', 'aud-w-1', 201],
  ]);
  assert.equal(mine[0].actorName, 'water-tech');
  assert.equal(mine[0].ip, '127.0.0.1');
  assert.deepEqual(mine[0].departments, ['water']);
  assert.ok(!Number.isNaN(Date.parse(mine[0].at)));
  const all = JSON.stringify((await tp.api('GET', '/api/v1/audit?limit=1000')).body);
  assert.ok(!all.includes(rotated.body.credentials.password) && !all.includes(reg.body.credentials.password), 'no device secret');
  assert.ok(!all.includes(tech.secret.slice(4)), 'no API token');

  const waterView = await token('water-view', 'viewer', ['water']);
  const visible = (await tp.api('GET', '/api/v1/audit?limit=1000', undefined, waterView.secret)).body.items;
  assert.ok(visible.some((e: any) => e.target === 'aud-w-1'));
  assert.ok(visible.every((e: any) => e.departments?.every((d: string) => d === 'water')), 'only water entries');
  assert.ok((await tp.api('GET', '/api/v1/audit?target=aud-e-1')).body.items.length > 0);
  assert.equal((await tp.api('GET', '/api/v1/audit?target=aud-e-1', undefined, waterView.secret)).body.items.length, 0);
});

/** The CONNACK return code of a connection attempt (0 = accepted). */
async function connack(port: number, id: string, password: string): Promise<number | undefined> {
  let client: MqttClient | undefined;
  try {
    client = await connectOnce(`mqtt://127.0.0.1:${port}`, { clientId: id, username: id, password });
    return 0;
  } catch (err) {
    assert.ok(err instanceof ConnectRefused, String(err));
    return err.code;
  } finally {
    await endQuietly(client);
  }
}

/** CONNACK return code of a CONNECT sent from another loopback address (0 = accepted). */
function connackFrom(localAddress: string, port: number, id: string, password: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => socket.write(connectPacket(id, id, password)));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, 5000);
    socket.once('data', (d) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(d[0] === 0x20 ? d[3] : undefined);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

test('brute force: bad bearer tokens lock the address (429 + Retry-After; issued tokens still pass); bad MQTT secrets lock the device at that address, then the address (CONNACK 5)', async () => {
  const bf = await startTestPlatform({ authMaxFailures: 3, authMaxFailuresPerAddress: 6, authLockoutMs: 1500, authFailureDelayMs: 5 });
  try {
    const dev = await bf.register({ id: 'bf-dev-1' });
    const other = await bf.register({ id: 'bf-dev-2' });
    const port = bf.platform.mqttPort;
    const metric = async (name: string, kind: string) => metricValue((await bf.api('GET', '/metrics')).body as string, name, { kind }) ?? 0;

    // MQTT, per device id: three bad secrets, then even the right one gets CONNACK 5 until the lock ends.
    for (let i = 0; i < 3; i++) assert.equal(await connack(port, 'bf-dev-1', 'wrong-secret-0123456789'), 4);
    assert.equal(await connack(port, 'bf-dev-1', dev.password), 5, 'locked: the correct secret is refused too');
    assert.equal(await connack(port, 'bf-dev-2', other.password), 0, 'another device is not affected');
    assert.equal(await connackFrom('127.0.0.2', port, 'bf-dev-1', dev.password), 0, 'the real device elsewhere is not locked out by bad secrets from this address');
    assert.equal(await metric('shanshui_auth_failures_total', 'mqtt'), 3);
    assert.equal(await metric('shanshui_auth_lockouts_total', 'mqtt'), 1);
    await eventually(async () => (await connack(port, 'bf-dev-1', dev.password)) === 0, 'the device lock to end');

    // API, per address: three bad tokens, then 429 with Retry-After, even for the configured admin
    // token; a platform-issued token (256 random bits, not guessable) keeps working.
    const issued = (await bf.api('POST', '/api/v1/tokens', { name: '值班室', role: 'viewer', departments: '*' })).body.token as string;
    for (let i = 0; i < 3; i++) assert.equal((await bf.api('GET', '/api/v1/stations', undefined, `wrong-token-${i}`)).status, 401);
    assert.equal((await bf.api('GET', '/api/v1/stations', undefined, issued)).status, 200, 'an issued token passes the address lock');
    assert.equal((await bf.api('GET', '/api/v1/stations', undefined, 'ssk_forged')).status, 429, 'an unknown one does not');
    const locked = await fetch(`http://127.0.0.1:${bf.platform.httpPort}/api/v1/stations`, { headers: { authorization: `Bearer ${bf.platform.apiToken}` } });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    assert.equal(((await locked.json()) as any).error.code, 'API_ERR_LOCKED_OUT');
    assert.equal((await bf.api('GET', '/healthz')).status, 200, 'outside /api/v1 is not locked');
    assert.equal(await metric('shanshui_auth_failures_total', 'api'), 3);
    assert.equal(await metric('shanshui_auth_lockouts_total', 'api'), 1);
    await eventually(async () => (await bf.api('GET', '/api/v1/stations')).status === 200, 'the address lock to end');

    // MQTT, per address: bad secrets spread over many device ids still lock the address.
    let code: number | undefined;
    for (let i = 0; i < 10 && code !== 5; i++) code = await connack(port, `guess-${i}`, 'wrong-secret-0123456789');
    assert.equal(code, 5, 'the address is locked');
    assert.equal(await connack(port, 'bf-dev-2', other.password), 5, 'every device from a locked address is refused');
    assert.ok((await metric('shanshui_auth_lockouts_total', 'mqtt')) >= 2);
    const refusedText = (await bf.api('GET', '/metrics')).body as string;
    assert.ok((metricValue(refusedText, 'shanshui_mqtt_refused_total', { code: 'BROKER_ERR_LOCKED_OUT' }) ?? 0) >= 3);
  } finally {
    await bf.close();
  }
});
