/** POST /api/v1/stations/{id}/bootstrap-tokens through inject(): an absent body takes the defaults; a body that is not an object is refused. */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { ADMIN_TOKEN, injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
beforeAll(async () => {
  p = await injectPlatform();
  await p.call('POST', '/api/v1/stations', { id: 'bt-rsv-1', name: '流溪河水库', domain: 'reservoir', lat: 23.7, lon: 113.7, region: '440117', department: 'water' });
});
afterAll(async () => {
  await p?.stop();
});

test('no body: a token with the default lifetime of 24 h', async () => {
  const res = await p.built.api.inject({ method: 'POST', url: '/api/v1/stations/bt-rsv-1/bootstrap-tokens', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.statusCode).toBe(201);
  const hours = (Date.parse(res.json().expiresAt) - Date.now()) / 3_600_000;
  expect(hours).toBeGreaterThan(23.9);
  expect(hours).toBeLessThanOrEqual(24);
});

test('a JSON null, an array or a string as the body: 400, not a token', async () => {
  for (const body of ['null', '[]', '"x"']) {
    const res = await p.built.api.inject({ method: 'POST', url: '/api/v1/stations/bt-rsv-1/bootstrap-tokens', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode, body).toBe(400);
  }
});
