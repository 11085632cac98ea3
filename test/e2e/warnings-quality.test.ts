/**
 * Warnings end to end, data quality before rules (spike, flatline →
 * flagged in InfluxDB, a maintenance alert instead of a false warning), corroboration k of n
 * across real stations, trend warnings on a reservoir, and a deleted station's alert resolved.
 * Real platform (aedes, influxd, SQLite), real mqtt.js devices, a real HTTP receiver.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { eventually, eventuallyEqual } from '../support/test-platform.ts';
import { useWebhookTestPlatform } from '../support/webhook-test-platform.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'quality-secret-0123456789abcdef';
const MIN = 60_000;
const env = useWebhookTestPlatform(SECRET);

async function receiverFor(department: string): Promise<WebhookReceiver> {
  const r = await env.receiver();
  const res = await env.tp.api('POST', '/api/v1/subscriptions', { name: `应急中心 ${department}`, url: r.url, secret: SECRET, filters: { departments: [department] } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return r;
}

async function rule(def: Record<string, unknown>): Promise<void> {
  const res = await env.tp.api('POST', '/api/v1/rules', def);
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** A registered, connected device whose readings are `stepMs` apart in device time, ending about now. */
async function device(id: string, name: string, department: string, extra: Record<string, unknown> = {}, stepMs = MIN, count = 200) {
  const cred = await env.tp.register({ id, name, department, region: '440106', ...extra });
  const client = await env.tp.connect(cred.username, cred.password);
  const t0 = Date.now() - stepMs * count;
  let seq = 0;
  return {
    tsOf: (n: number) => t0 + n * stepMs,
    send: async (values: Record<string, unknown>) => {
      seq++;
      await client.publishAsync(`shanshui/v1/${id}/up/readings`, JSON.stringify({ seq, ts: t0 + seq * stepMs, values }), { qos: 1 });
      return t0 + seq * stepMs;
    },
  };
}

const alertsOf = async (station: string, state = 'all') => (await env.tp.api('GET', `/api/v1/alerts?state=${state}&station=${station}`)).body.items as any[];

test('a spiking sensor: the value is flagged q_pm25=spike in InfluxDB, no PM2.5 warning, a maintenance alert fires and resolves', async () => {
  const r = await receiverFor('d-spike');
  await rule({ id: 'pm25-q', name: 'PM2.5 数据质量', kind: 'data_quality', metric: 'pm25', spike: { window: 20, k: 6, minJump: 50, minSamples: 5, clearAfter: 3 }, scope: { department: 'd-spike' } });
  await rule({ id: 'pm25-spike-th', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 250 }, scope: { department: 'd-spike' } });
  const d = await device('air-spike', '天河空气站1号', 'd-spike');
  for (const v of [30, 32, 31, 29, 30, 33]) await d.send({ pm25: v, pm10: 50 });
  const spikeTs = await d.send({ pm25: 900, pm10: 51 });
  for (const v of [31, 30, 32]) await d.send({ pm25: v, pm10: 50 });
  await eventually(() => r.accepted().length === 2, 'maintenance alert fired and resolved');
  assert.deepEqual(r.accepted().map((x) => [x.event, x.json.alert.rule.kind, x.json.alert.level]), [['alert.firing', 'data_quality', 'blue'], ['alert.resolved', 'data_quality', 'blue']]);
  assert.equal(r.accepted()[0]!.json.message, '天河空气站1号 PM2.5 传感器数据突变（900 μg/m³），疑似故障，请检修（蓝色预警）');
  assert.ok(r.received.every((x) => x.signatureValid));
  assert.deepEqual((await alertsOf('air-spike')).map((a) => a.ruleId), ['pm25-q'], 'no PM2.5 red warning on the spike');
  // The correction merged into the reading point.
  await eventuallyEqual(
    () => env.tp.query(`SELECT pm25, q_pm25, pm10 FROM air WHERE station = 'air-spike' AND q_pm25 = 'spike'`),
    [{ time: spikeTs, pm25: 900, q_pm25: 'spike', pm10: 51 }],
    'the flagged point in InfluxDB, every field',
  );
});

test('a stuck sensor: flatline flags and a maintenance alert with the message, resolved when it moves again', async () => {
  const r = await receiverFor('d-flat');
  await rule({ id: 'pm25-flat', name: 'PM2.5 恒值', kind: 'data_quality', metric: 'pm25', flatline: { minDurationSec: 3600, minCount: 6 }, scope: { department: 'd-flat' } });
  const d = await device('air-flat', '天河空气站1号', 'd-flat', {}, 10 * MIN);
  for (let i = 0; i < 8; i++) await d.send({ pm25: 42 }); // 70 minutes of 42
  await eventually(() => r.accepted().length === 1, 'maintenance alert');
  assert.equal(r.accepted()[0]!.json.message, '天河空气站1号 PM2.5 传感器疑似恒值（卡死，60 分钟保持 42 μg/m³），请检修（蓝色预警）');
  await d.send({ pm25: 47 });
  await eventually(() => r.accepted().length === 2, 'resolved');
  assert.equal(r.accepted()[1]!.json.message, '天河空气站1号 PM2.5 传感器疑似恒值（卡死） 已解除（原蓝色预警）');
  const flagged = await eventually(async () => {
    const q = await env.tp.query(`SELECT pm25 FROM air WHERE station = 'air-flat' AND q_pm25 = 'flatline'`);
    return q.length === 2 ? q : undefined;
  }, 'the two stuck values past the hour flagged in InfluxDB');
  assert.ok(flagged.every((p) => p['pm25'] === 42));
});

test('corroboration 2 of n in a basin: one station alone stays yellow; a second lifts both to red', async () => {
  const r = await receiverFor('d-basin');
  await rule({
    id: 'nh3n-basin', name: '氨氮', kind: 'threshold', metric: 'nh3n', op: 'above', levels: { yellow: 1.5, red: 5 },
    corroborate: { group: 'basin', k: 2, minLevel: 'red' }, scope: { department: 'd-basin' },
  });
  const a = await device('w-basin-a', '流溪河 A 断面', 'd-basin', { domain: 'water', attributes: { basin: 'liuxi' } });
  const b = await device('w-basin-b', '流溪河 B 断面', 'd-basin', { domain: 'water', attributes: { basin: 'liuxi' } });
  const c = await device('w-basin-c', '增江 C 断面', 'd-basin', { domain: 'water', attributes: { basin: 'zengjiang' } });
  await a.send({ nh3n: 8 });
  await c.send({ nh3n: 9 });
  await eventually(() => r.accepted().length === 2, 'two capped firings');
  assert.deepEqual(r.accepted().map((x) => x.json.alert.level), ['yellow', 'yellow'], 'each alone: capped below red');
  await b.send({ nh3n: 6 });
  await eventually(() => r.accepted().length === 4, 'b fires red and a escalates');
  assert.deepEqual(r.accepted().slice(2).map((x) => [x.event, x.json.alert.level]), [['alert.firing', 'red'], ['alert.escalated', 'red']]);
  assert.match(r.accepted()[3]!.json.message, /^流溪河 A 断面 .*同一流域 2 站同时达到红色预警/);
  assert.equal((await alertsOf('w-basin-c', 'active'))[0].level, 'yellow', 'another basin does not count');
});

test('trend on a reservoir: predicted crossing of 汛限水位 within the horizon, with the time in the message', async () => {
  const r = await receiverFor('d-trend');
  await rule({ id: 'rsv-trend', name: '库水位趋势', kind: 'trend', metric: 'water_level', windowSec: 3600, horizonSec: 3600, levels: { orange: 'floodLimitLevel' }, scope: { department: 'd-trend' } });
  const d = await device('rsv-trend', '白云水库', 'd-trend', { domain: 'reservoir', attributes: { floodLimitLevel: 103, designFloodLevel: 105, checkFloodLevel: 107 } }, 10 * MIN, 20);
  // +0.5 m per 10 minutes (3 m/h) from 100: at 100.5 the projection is 103.5 → 50 minutes to 103.
  for (const v of [99.5, 100, 100.5]) await d.send({ water_level: v });
  await eventually(() => r.accepted().length === 1, 'the trend warning');
  assert.equal(r.accepted()[0]!.json.message, '白云水库 库水位 预计 50 分钟后超过汛限水位 103 m（当前 100.5 m，每小时上涨 3 m）（橙色预警）');
});

test('deleting a station resolves its open alerts (delivered as alert.resolved)', async () => {
  const r = await receiverFor('d-del');
  await rule({ id: 'pm25-del', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 }, scope: { department: 'd-del' } });
  const d = await device('air-del', '待删除站', 'd-del');
  await d.send({ pm25: 100 });
  await eventually(() => r.accepted().length === 1, 'fired');
  assert.equal((await env.tp.api('DELETE', '/api/v1/stations/air-del')).status, 204);
  await eventually(() => r.accepted().length === 2, 'resolved on delete');
  assert.equal(r.accepted()[1]!.event, 'alert.resolved');
  assert.match(r.accepted()[1]!.json.message, /站点已删除/);
  assert.deepEqual(await alertsOf('air-del', 'active'), []);
});
