/** /api/v1/users and /app/session through inject(): accounts, sign-in with the cookie, refusals. */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
beforeAll(async () => {
  p = await injectPlatform();
});
afterAll(async () => {
  await p?.stop();
});

test('an account signs in with a cookie, sees itself, and is refused once disabled', async () => {
  const created = await p.call('POST', '/api/v1/users', { name: 'wang', displayName: '王五', password: 'a web app password', role: 'operator', departments: ['water'] });
  expect(created.statusCode).toBe(201);
  expect(created.body).not.toContain('a web app password');
  expect((await p.call('POST', '/api/v1/users', { name: 'wang', password: 'a web app password', role: 'operator', departments: ['water'] })).json().error.code).toBe('API_ERR_CONFLICT');
  expect((await p.call('GET', '/api/v1/users')).json()).toMatchObject({ total: 1, next: null });

  const signIn = await p.built.api.inject({ method: 'POST', url: '/app/session', payload: { username: 'wang', password: 'a web app password' } });
  expect(signIn.statusCode).toBe(200);
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  const me = await p.built.api.inject({ method: 'GET', url: '/app/session', headers: { cookie } });
  expect(me.json().user).toMatchObject({ name: 'wang', displayName: '王五', role: 'operator' });

  const wrong = await p.built.api.inject({ method: 'POST', url: '/app/session', payload: { username: 'wang', password: 'not the password' } });
  expect(wrong.statusCode).toBe(401);
  expect(wrong.json().error.code).toBe('API_ERR_SIGN_IN');

  expect((await p.call('PATCH', '/api/v1/users/wang', { disabled: true })).statusCode).toBe(200);
  const ended = await p.built.api.inject({ method: 'GET', url: '/api/v1/stations', headers: { cookie } });
  expect(ended.statusCode).toBe(401);
  expect(ended.json().error.code).toBe('API_ERR_SESSION_ENDED');
  const short = await p.call('PATCH', '/api/v1/users/wang', { password: 'short' });
  expect(short.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'password' });
  expect((await p.call('DELETE', '/api/v1/users/wang')).statusCode).toBe(204);
  expect((await p.call('DELETE', '/api/v1/users/wang')).statusCode).toBe(404);
});
