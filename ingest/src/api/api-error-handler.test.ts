/** The one error shape, through the real API (createPlatform, no socket): codes of the catalogue, the field named. */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';
import { ErrorBodySchema } from './route-doc.ts';

let p: InjectPlatform;
beforeAll(async () => {
  p = await injectPlatform();
});
afterAll(async () => {
  await p?.stop();
});

test('a bad query parameter: 400 API_ERR_VALIDATION naming the parameter as field', async () => {
  const res = await p.call('GET', '/api/v1/stations?limit=5000');
  expect(res.statusCode).toBe(400);
  expect(ErrorBodySchema.parse(res.json())).toEqual({ error: { code: 'API_ERR_VALIDATION', message: expect.stringMatching(/^invalid query: limit: /), field: 'limit' } });
});

test('an unknown query parameter or body key: the field is that key, not "(root)"', async () => {
  const query = await p.call('GET', '/api/v1/map.geojson?limit=5');
  expect(query.statusCode).toBe(400);
  expect(query.json().error).toEqual({ code: 'API_ERR_VALIDATION', message: 'invalid query: limit: Unrecognized key: "limit"', field: 'limit' });
  const body = await p.call('POST', '/api/v1/tokens', { name: 'x', role: 'viewer', departments: '*', scope: 'all' });
  expect(body.statusCode).toBe(400);
  expect(body.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'scope' });
});

test('a bad body field deep in the JSON: the field is its path', async () => {
  const res = await p.call('POST', '/api/v1/rules', { name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 'high' } });
  expect(res.statusCode).toBe(400);
  expect(res.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'levels.red' });
});

test('a form body: 415 with the header to add; broken JSON: 400 API_ERR_BAD_REQUEST; an unknown route: 404', async () => {
  const form = await p.built.api.inject({ method: 'POST', url: '/api/v1/stations', headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=x' });
  expect(form.statusCode).toBe(415);
  expect(form.json().error.code).toBe('API_ERR_UNSUPPORTED_MEDIA_TYPE');
  expect(form.json().error.message).toMatch(/content-type: application\/json/);
  const broken = await p.built.api.inject({ method: 'POST', url: '/api/v1/rules', headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' }, payload: '{"name":' });
  expect(broken.statusCode).toBe(400);
  expect(ErrorBodySchema.parse(broken.json()).error.code).toBe('API_ERR_BAD_REQUEST');
  const none = await p.call('GET', '/api/v1/nothing-here');
  expect(none.statusCode).toBe(404);
  expect(ErrorBodySchema.parse(none.json()).error).toEqual({ code: 'API_ERR_NOT_FOUND', message: 'no route GET /api/v1/nothing-here' });
});

test('no token: 401 API_ERR_UNAUTHORIZED in the same shape', async () => {
  const res = await p.call('GET', '/api/v1/stations', undefined, '');
  expect(res.statusCode).toBe(401);
  expect(ErrorBodySchema.parse(res.json()).error.code).toBe('API_ERR_UNAUTHORIZED');
});
