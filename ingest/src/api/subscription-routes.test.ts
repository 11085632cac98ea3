/** /api/v1/subscriptions and the webhook outbox through inject(): the secret never shown, bad URLs refused by field, test events queued. */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
beforeAll(async () => {
  // The receiver is never reached here: deliveries stay in the outbox (port 9 discards).
  p = await injectPlatform({ webhookAllowNetworks: ['127.0.0.0/8'] });
});
afterAll(async () => {
  await p?.stop();
});

const body = { name: '市应急指挥中心', url: 'http://127.0.0.1:9/hook', secret: 'a-webhook-secret-of-24-chars!', filters: { departments: ['eco-env'] } };

test('create, list, show, replace, test event, delete — the secret is never in an answer', async () => {
  const created = await p.call('POST', '/api/v1/subscriptions', body);
  expect(created.statusCode).toBe(201);
  expect(created.body).not.toContain(body.secret);
  const id = created.json().subscription.id as string;
  const list = (await p.call('GET', '/api/v1/subscriptions')).json();
  expect(list).toMatchObject({ total: 1, next: null });
  expect(JSON.stringify(list)).not.toContain(body.secret);
  expect((await p.call('PUT', `/api/v1/subscriptions/${id}`, { ...body, filters: { departments: ['eco-env'], minLevel: 'orange' } })).json().subscription.filters.minLevel).toBe('orange');
  const sent = await p.call('POST', `/api/v1/subscriptions/${id}/test`);
  expect(sent.statusCode).toBe(202);
  expect((await p.call('GET', `/api/v1/subscriptions/${id}`)).json().outbox).toBe(1);
  const deliveries = (await p.call('GET', `/api/v1/webhook-deliveries?subscription=${id}`)).json();
  expect(deliveries.items).toHaveLength(1);
  expect(deliveries.next).toBeNull();
  expect((await p.call('DELETE', `/api/v1/subscriptions/${id}`)).statusCode).toBe(204);
  expect((await p.call('GET', `/api/v1/subscriptions/${id}`)).statusCode).toBe(404);
});

test('refusals name the field: a short secret, a URL that is not http(s), a department outside the scope', async () => {
  const short = await p.call('POST', '/api/v1/subscriptions', { ...body, secret: 'short' });
  expect(short.statusCode).toBe(400);
  expect(short.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'secret' });
  const ftp = await p.call('POST', '/api/v1/subscriptions', { ...body, url: 'ftp://example.org/x' });
  expect(ftp.statusCode).toBe(400);
  expect(ftp.json().error.field).toBe('url');
  const water = (await p.call('POST', '/api/v1/tokens', { name: '水务', role: 'operator', departments: ['water'] })).json().token as string;
  const other = await p.call('POST', '/api/v1/subscriptions', body, water);
  expect(other.statusCode).toBe(403);
  expect(other.json().error.code).toBe('API_ERR_OUT_OF_SCOPE');
});

test('a token in the receiver URL (企业微信 / 钉钉 robots carry ?key= / ?access_token=) is masked in the audit trail', async () => {
  const url = 'http://127.0.0.1:9/cgi-bin/webhook/send?key=robot-key-5150&debug=1';
  const created = await p.call('POST', '/api/v1/subscriptions', { ...body, url });
  expect(created.statusCode).toBe(201);
  expect(created.json().subscription.url, 'its owner still sees the whole URL').toBe(url);
  const audit = (await p.call('GET', '/api/v1/audit?limit=5')).body;
  expect(audit).toContain('/cgi-bin/webhook/send');
  expect(audit).not.toContain('robot-key-5150');
  await p.call('DELETE', `/api/v1/subscriptions/${created.json().subscription.id as string}`);
});
