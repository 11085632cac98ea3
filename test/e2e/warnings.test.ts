/**
 * Warnings end to end: real platform (aedes, influxd, SQLite), real mqtt.js devices, real HTTP
 * receivers. Device publish → rule → alert (SQLite + InfluxDB `alerts`) → signed webhook.
 * Each test uses its own department so its receiver sees only its own alerts.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { eventually, eventuallyEqual } from '../support/test-platform.ts';
import { useWebhookTestPlatform } from '../support/webhook-test-platform.ts';
import type { WebhookTestPlatform } from '../support/webhook-test-platform.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'receiver-secret-0123456789abcdef';
const env = useWebhookTestPlatform(SECRET, { staleCheckIntervalMs: 100, webhookTimeoutMs: 1000, webhookMaxAttempts: 6 });
const receiver = (options: Parameters<WebhookTestPlatform['receiver']>[0] = {}, secret = SECRET): Promise<WebhookReceiver> => env.receiver(options, secret);

async function subscribe(r: WebhookReceiver, department: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await env.tp.api('POST', '/api/v1/subscriptions', { name: `测试应急中心 ${department}`, url: r.url, secret: SECRET, filters: { departments: [department] }, ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.subscription.secret, undefined, 'the secret is never returned');
  return res.body.subscription.id;
}

async function rule(def: Record<string, unknown>): Promise<string> {
  const res = await env.tp.api('POST', '/api/v1/rules', def);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.rule.id;
}

async function device(id: string, department: string, extra: Record<string, unknown> = {}): Promise<{ client: MqttClient; send: (values: Record<string, unknown>) => Promise<void> }> {
  const cred = await env.tp.register({ id, name: id === 'air-th-01' ? '天河空气站1号' : `站 ${id}`, department, region: '440106', ...extra });
  const client = await env.tp.connect(cred.username, cred.password);
  let seq = 0;
  const t0 = Date.now() - 60_000;
  return {
    client,
    send: async (values) => {
      seq++;
      await client.publishAsync(`shanshui/v1/${id}/up/readings`, JSON.stringify({ seq, ts: t0 + seq * 1000, values }), { qos: 1 });
    },
  };
}

const alertsOf = async (station: string, state = 'all') => (await env.tp.api('GET', `/api/v1/alerts?state=${state}&station=${station}`)).body.items as any[];
const eventsOf = async (alertId: string) => (await env.tp.api('GET', `/api/v1/alerts/${alertId}`)).body.events as any[];

test('a threshold rule fires: every delivery is signed (HMAC-SHA256 and HMAC-SM3/CAP), each event once per key, and InfluxDB has it', async () => {
  const r = await receiver();
  const sm3 = await receiver({ algorithm: 'hmac-sm3' });
  await subscribe(r, 'd-sig');
  await subscribe(sm3, 'd-sig', { format: 'cap', signature: 'hmac-sm3' });
  const ruleId = await rule({ id: 'pm25-th', name: 'PM2.5 浓度', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, yellow: 75, orange: 115, red: 150 }, scope: { department: 'd-sig' } });
  const d = await device('air-th-01', 'd-sig');
  await d.send({ pm25: 80 });
  await d.send({ pm25: { v: 500, q: 'M' } }); // maintenance value: never fires
  await d.send({ pm25: 12 });
  await eventually(() => r.accepted().length === 2 && sm3.accepted().length === 2, 'firing and resolved at both receivers');

  const [firing, resolved] = r.accepted();
  assert.ok(r.received.every((x) => x.signatureValid), 'every HMAC-SHA256 signature verifies');
  assert.ok(sm3.received.every((x) => x.signatureValid), 'every HMAC-SM3 signature verifies');
  assert.equal(new Set(r.received.map((x) => x.idempotencyKey)).size, r.received.length, 'each event arrives once per idempotency key');
  assert.equal(firing!.event, 'alert.firing');
  assert.equal(firing!.json.eventId, firing!.idempotencyKey);
  assert.equal(firing!.json.alert.level, 'yellow');
  assert.equal(firing!.json.message, '天河空气站1号 PM2.5 超过 75 μg/m³（黄色预警）');
  assert.equal(resolved!.event, 'alert.resolved');
  assert.equal(resolved!.json.alert.id, firing!.json.alert.id);
  assert.match(sm3.accepted()[0]!.body, /<msgType>Alert<\/msgType>[\s\S]*<severity>Moderate<\/severity>/);
  assert.match(sm3.accepted()[1]!.body, /<msgType>Cancel<\/msgType>/);

  const alerts = await alertsOf('air-th-01');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].state, 'resolved');
  assert.equal(alerts[0].ruleId, ruleId);

  await eventuallyEqual(
    async (): Promise<Array<Record<string, unknown>>> => (await env.tp.query(`SELECT * FROM alerts WHERE station = 'air-th-01'`)).map((p) => ({ ...p, time: typeof p['time'] })),
    [
      { time: 'number', station: 'air-th-01', domain: 'air', region: '440106', dept: 'd-sig', rule: 'pm25-th', level: 'yellow', state: 'firing', level_rank: 2, message: '天河空气站1号 PM2.5 超过 75 μg/m³（黄色预警）', value: 80, alert_id: alerts[0].id },
      { time: 'number', station: 'air-th-01', domain: 'air', region: '440106', dept: 'd-sig', rule: 'pm25-th', level: 'yellow', state: 'resolved', level_rank: 2, message: '天河空气站1号 PM2.5 超过 75 μg/m³ 已解除（原黄色预警）', value: 12, alert_id: alerts[0].id },
    ],
    'two alert points in InfluxDB, every field',
  );
  const schema = await env.tp.api('GET', '/api/v1/schema/webhook-event.json', undefined, 'no-token-needed');
  assert.equal(schema.status, 200);
  assert.equal(schema.body.properties.alert.properties.level.enum.length, 4);
});

test('a receiver that answers 500 and times out, then recovers, gets every event in order', async () => {
  const r = await receiver({ answer: (n) => (n === 0 ? 500 : n === 1 ? 'hang' : n === 2 ? 503 : 200) });
  await subscribe(r, 'd-flaky');
  await rule({ id: 'pm25-flaky', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, red: 150 }, scope: { department: 'd-flaky' } });
  const d = await device('air-flaky', 'd-flaky');
  await d.send({ pm25: 40 });
  await d.send({ pm25: 160 });
  await d.send({ pm25: 10 });
  await eventually(() => r.accepted().length === 3, 'three events delivered after the failures', 20_000);
  assert.deepEqual(r.accepted().map((x) => x.event), ['alert.firing', 'alert.escalated', 'alert.resolved']);
  assert.ok(r.received.length >= 6, 'the failed attempts were retried');
  assert.equal(r.received[0]!.idempotencyKey, r.received[1]!.idempotencyKey, 'a retry carries the same idempotency key');
  assert.ok(r.received.every((x) => x.signatureValid));
  const delivered = (await env.tp.api('GET', `/api/v1/webhook-deliveries?alert=${r.accepted()[0]!.json.alert.id}`)).body.items as any[];
  assert.ok(delivered.every((x) => x.state === 'delivered'));
});

test('after the retry budget a delivery is dead, visible in the API, and redelivered by hand; other receivers are not held up', async () => {
  let healthy = false;
  const dead = await receiver({ answer: () => (healthy ? 200 : 500) });
  const stuck = await receiver({ answer: () => 'hang' });
  const fine = await receiver();
  const deadSub = await subscribe(dead, 'd-dead');
  await subscribe(stuck, 'd-dead');
  await subscribe(fine, 'd-dead');
  await rule({ id: 'pm25-dead', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { orange: 115 }, scope: { department: 'd-dead' } });
  const d = await device('air-dead', 'd-dead');
  await d.send({ pm25: 130 });
  await eventually(() => fine.accepted().length === 1, 'the healthy receiver gets the event while another one hangs');
  const deadList = await eventually(async () => {
    const res = await env.tp.api('GET', `/api/v1/webhook-deliveries?state=dead&subscription=${deadSub}`);
    return res.body.items.length === 1 ? res.body.items : undefined;
  }, 'a dead delivery', 20_000);
  assert.equal(deadList[0].attempts, 6);
  assert.match(deadList[0].lastError, /500/);
  assert.match((await env.tp.api('GET', '/metrics')).body, /shanshui_webhook_deliveries_total\{result="dead"\} [1-9]/);
  healthy = true;
  const re = await env.tp.api('POST', `/api/v1/webhook-deliveries/${deadList[0].id}/redeliver`);
  assert.equal(re.status, 202);
  await eventually(() => dead.accepted().length === 1, 'the redelivered event');
  assert.equal(dead.accepted()[0]!.idempotencyKey, deadList[0].idempotencyKey);
  assert.equal((await env.tp.api('POST', `/api/v1/webhook-deliveries/${deadList[0].id}/redeliver`)).status, 202, 'a delivered one may be sent again too');
  assert.equal((await env.tp.api('POST', '/api/v1/webhook-deliveries/999999/redeliver')).status, 404);
});

test('hysteresis: a value oscillating around the threshold fires once and does not flap', async () => {
  const r = await receiver();
  await subscribe(r, 'd-hyst');
  await rule({ id: 'pm25-hyst', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 }, clearDelta: 10, scope: { department: 'd-hyst' } });
  const d = await device('air-hyst', 'd-hyst');
  for (const v of [70, 76, 74, 77, 70, 78, 66, 79, 72]) await d.send({ pm25: v });
  await eventually(async () => (await alertsOf('air-hyst', 'active')).length === 1, 'one active alert');
  await d.send({ pm25: 60 }); // below 75 − 10: clears
  await eventually(async () => (await alertsOf('air-hyst', 'active')).length === 0, 'resolved');
  const alerts = await alertsOf('air-hyst');
  assert.equal(alerts.length, 1, 'one alert over the whole oscillation');
  assert.deepEqual((await eventsOf(alerts[0].id)).map((e) => e.type), ['firing', 'resolved']);
  await eventually(() => r.accepted().length === 2, 'two deliveries');
});

test('offline detection: a silent station fires a stale alert, and resolves when it reports again', async () => {
  const r = await receiver();
  await subscribe(r, 'd-stale');
  await rule({ id: 'stale-fast', name: '站点离线', kind: 'stale', expectedIntervalSec: 0.3, factor: 2, level: 'blue', scope: { department: 'd-stale' } });
  const d = await device('air-stale', 'd-stale');
  await d.send({ pm25: 10 });
  const [alert] = await eventually(async () => {
    const a = await alertsOf('air-stale', 'active');
    return a.length === 1 ? a : undefined;
  }, 'a stale alert');
  assert.equal(alert.ruleId, 'stale-fast');
  assert.equal(alert.level, 'blue');
  assert.match(alert.message, /无数据/);
  await d.send({ pm25: 11 });
  await eventually(async () => (await env.tp.api('GET', `/api/v1/alerts/${alert.id}`)).body.alert.state === 'resolved', 'resolved by the new reading');
  await eventually(() => r.accepted().some((x) => x.event === 'alert.resolved'), 'the resolution delivered');
});

test('bad rule definitions and subscriptions are refused with a clear reason', async () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 75, yellow: 35 } }, /levels: levels must be strictly more severe/],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: {} }, /levels: at least one level/],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'sideways', levels: { red: 1 } }, /op: /],
    [{ name: 'x', kind: 'magic' }, /kind: /],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 1 }, forSec: -5 }, /forSec: /],
    [{ name: 'x', kind: 'classification', classifier: 'water_class', levelMap: { VI: 'red' } }, /levelMap.VI: not a class of water_class/],
    [{ name: 'x', kind: 'stale', expectedIntervalSec: 0 }, /expectedIntervalSec: /],
    [{ name: 'x', kind: 'rate_of_change', metric: 'water_level', windowSec: 3600, levels: { blue: -1 } }, /levels: levels must be positive/],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 1 }, scope: { domain: 'moon' } }, /scope.domain: /],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 1 }, replaces: 'no-such-rule' }, /replaces: no rule no-such-rule/],
    [{ name: 'x', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 1 }, colour: 'red' }, /colour|unrecognized/i],
  ];
  for (const [def, reason] of bad) {
    const res = await env.tp.api('POST', '/api/v1/rules', def);
    assert.equal(res.status, 400, `refused: ${JSON.stringify(def)}`);
    assert.equal(res.body.error.code, 'API_ERR_VALIDATION');
    assert.match(res.body.error.message, reason);
  }
  const base = { name: '应急中心', url: 'https://ecc.example.cn/hook', secret: SECRET };
  const badSubs: Array<[unknown, RegExp]> = [
    [{ ...base, url: 'ftp://ecc.example.cn/hook' }, /url: must be an http:\/\/ or https:\/\/ URL/],
    [{ ...base, url: 'not a url' }, /url: not a valid URL/],
    [{ ...base, url: 'https://user:pw@ecc.example.cn/hook' }, /url: must not carry credentials/],
    [{ ...base, secret: 'short' }, /secret: at least 24 characters/],
    [{ ...base, filters: { minLevel: 'purple' } }, /filters.minLevel: /],
    [{ ...base, filters: { regions: ['广州'] } }, /filters.regions.0: /],
    [{ ...base, signature: 'md5' }, /signature: /],
    [{ ...base, format: 'rss' }, /format: /],
  ];
  for (const [def, reason] of badSubs) {
    const res = await env.tp.api('POST', '/api/v1/subscriptions', def);
    assert.equal(res.status, 400, `refused: ${JSON.stringify(def)}`);
    assert.match(res.body.error.message, reason);
  }
  // A rule changed through the API is audited.
  await rule({ id: 'audited', name: 'a', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 300 }, scope: { stations: ['nowhere'] } });
  const put = await env.tp.api('PUT', '/api/v1/rules/audited', { name: 'b', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 250 }, scope: { stations: ['nowhere'] } });
  assert.equal(put.status, 200);
  assert.equal((await env.tp.api('POST', '/api/v1/rules', { id: 'audited', name: 'c', kind: 'stale', expectedIntervalSec: 60 })).status, 409);
  const shown = await env.tp.api('GET', '/api/v1/rules/audited');
  assert.deepEqual(shown.body.audit.map((a: any) => a.action), ['create', 'update']);
  assert.equal(shown.body.rule.levels.red, 250);
  assert.equal((await env.tp.api('DELETE', '/api/v1/rules/audited')).status, 204);
  assert.equal((await env.tp.api('GET', '/api/v1/rules/audited')).status, 404);
});

test('escalation blue → orange stays one alert; InfluxDB records both levels', async () => {
  const r = await receiver();
  await subscribe(r, 'd-esc', { filters: { departments: ['d-esc'], minLevel: 'blue' } });
  await rule({ id: 'pm25-esc', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, yellow: 75, orange: 115, red: 150 }, scope: { department: 'd-esc' } });
  const d = await device('air-esc', 'd-esc');
  await d.send({ pm25: 40 });
  await d.send({ pm25: 120 });
  await d.send({ pm25: 50 }); // lower but still a warning: no event, the alert keeps orange
  await eventually(() => r.accepted().length === 2, 'firing + escalated');
  const alerts = await alertsOf('air-esc');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].level, 'orange');
  assert.equal(alerts[0].state, 'firing');
  assert.ok(alerts[0].escalatedAt);
  assert.deepEqual(r.accepted().map((x) => [x.event, x.json.alert.level]), [['alert.firing', 'blue'], ['alert.escalated', 'orange']]);
  await eventuallyEqual(
    async () => (await env.tp.query(`SELECT level_rank, level, state, alert_id FROM alerts WHERE station = 'air-esc'`)).map((p) => [p['state'], p['level'], p['level_rank'], p['alert_id']]),
    [['firing', 'blue', 1, alerts[0].id], ['escalated', 'orange', 3, alerts[0].id]],
    'two alert points, every field',
  );
});

test('acknowledge through the API: who and when, delivered as alert.acknowledged; filters on the list', async () => {
  const r = await receiver();
  await subscribe(r, 'd-ack');
  await rule({ id: 'nh3n-ack', name: '氨氮', kind: 'threshold', metric: 'nh3n', op: 'above', levels: { yellow: 1.5 }, scope: { department: 'd-ack' } });
  const d = await device('water-ack', 'd-ack', { domain: 'water', region: '440104' });
  await d.send({ nh3n: 1.8 });
  const [alert] = await eventually(async () => {
    const a = await alertsOf('water-ack', 'active');
    return a.length === 1 ? a : undefined;
  }, 'the alert');
  assert.equal((await env.tp.api('POST', `/api/v1/alerts/${alert.id}/ack`, { by: '' })).status, 400);
  const ack = await env.tp.api('POST', `/api/v1/alerts/${alert.id}/ack`, { by: '张三（市应急指挥中心）', note: '已派人现场核查' });
  assert.equal(ack.status, 200, JSON.stringify(ack.body));
  assert.equal(ack.body.alert.state, 'acknowledged');
  assert.equal(ack.body.alert.acknowledgedBy, 'admin（张三（市应急指挥中心））', 'the token name, which cannot be claimed, with the person on duty');
  assert.ok(Date.parse(ack.body.alert.acknowledgedAt) > 0);
  const again = await env.tp.api('POST', `/api/v1/alerts/${alert.id}/ack`, { by: '李四' });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'API_ERR_ALERT_STATE');
  assert.equal((await env.tp.api('POST', '/api/v1/alerts/al-nope/ack', { by: 'x' })).status, 404);
  await eventually(() => r.accepted().length === 2, 'firing + acknowledged');
  assert.equal(r.accepted()[1]!.event, 'alert.acknowledged');
  assert.equal(r.accepted()[1]!.json.by, 'admin（张三（市应急指挥中心））');

  const list = async (q: string) => (await env.tp.api('GET', `/api/v1/alerts?${q}`)).body.items.map((a: any) => a.id) as string[];
  assert.ok((await list('state=active&department=d-ack')).includes(alert.id));
  assert.ok((await list('state=active&domain=water&region=4401&level=yellow')).includes(alert.id));
  assert.ok(!(await list('state=active&level=red')).includes(alert.id));
  assert.equal((await env.tp.api('GET', '/api/v1/alerts?state=bogus')).status, 400);
});
