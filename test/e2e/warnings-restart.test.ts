/**
 * Durable outbox across a restart: the platform is stopped (no draining: in-flight requests
 * aborted) while a delivery is backing off after failures; a new platform on the same data
 * folder delivers it, with the same idempotency key. Rule state survives too: a `forSec`
 * duration that began before the restart completes after it.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { tempDir } from '../support/temp-dir.ts';

const SECRET = 'restart-secret-0123456789abcdef';
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

test('platform stopped mid-retry: the new platform on the same data folder delivers everything', async () => {
  const data = await tempDir();
  cleanups.push(data.remove);
  let recovered = false;
  const r = await startWebhookReceiver(SECRET, { answer: () => (recovered ? 200 : 500) });
  cleanups.push(r.close);
  const config = { dataDir: data.dir, defaultRules: false, webhookBackoffBaseMs: 300, webhookBackoffMaxMs: 600, webhookMaxAttempts: 50 };

  let tp: TestPlatform = await startTestPlatform(config);
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await tp.close();
  });
  assert.equal((await tp.api('POST', '/api/v1/subscriptions', { name: 'ECC', url: r.url, secret: SECRET })).status, 201);
  assert.equal(
    (await tp.api('POST', '/api/v1/rules', { id: 'level-for', name: '库水位持续偏高', kind: 'threshold', metric: 'water_level', op: 'above', levels: { orange: 100 }, forSec: 120 })).status,
    201,
  );
  assert.equal((await tp.api('POST', '/api/v1/rules', { id: 'level-now', name: '库水位', kind: 'threshold', metric: 'water_level', op: 'above', levels: { blue: 90 } })).status, 201);
  const cred = await tp.register({ id: 'res-01', domain: 'reservoir', department: 'water' });
  let client = await tp.connect(cred.username, cred.password);
  const t0 = Date.now() - 600_000;
  await client.publishAsync('shanshui/v1/res-01/up/readings', JSON.stringify({ seq: 1, ts: t0, values: { water_level: 101 } }), { qos: 1 });
  await eventually(() => r.received.length >= 2, 'failed attempts before the stop');
  const before = (await tp.api('GET', '/api/v1/alerts?state=active')).body.items as any[];
  assert.deepEqual(before.map((a) => a.ruleId), ['level-now'], 'forSec 120 s has not elapsed yet for level-for');

  await tp.close(); // stop without draining the outbox
  closed = true;
  const failedBefore = r.received.length;
  recovered = true;

  tp = await startTestPlatform(config);
  closed = false;
  client = await tp.connect(cred.username, cred.password);
  // 130 s of device time later, still above: the duration begun before the restart completes.
  await client.publishAsync('shanshui/v1/res-01/up/readings', JSON.stringify({ seq: 2, ts: t0 + 130_000, values: { water_level: 101.5 } }), { qos: 1 });
  await eventually(() => r.accepted().length === 2, 'both firings delivered after the restart', 20_000);
  const keys = r.accepted().map((x) => x.idempotencyKey);
  assert.equal(r.received[0]!.idempotencyKey, keys[0], 'the event retried before the stop is the one delivered after it');
  assert.ok(r.received.length > failedBefore);
  assert.deepEqual(r.accepted().map((x) => x.json.alert.rule.id), ['level-now', 'level-for']);
  assert.ok(r.received.every((x) => x.signatureValid));
  const active = (await tp.api('GET', '/api/v1/alerts?state=active')).body.items as any[];
  assert.deepEqual(active.map((a) => a.ruleId).sort(), ['level-for', 'level-now'], 'still exactly one open alert per (station, rule)');
});
