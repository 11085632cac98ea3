/**
 * What a new user trips over on the readings path (issue #11), with a real aedes, real mqtt.js
 * clients and a real influxd: corrected readings carry their own flag, rejected messages are
 * counted apart from missing ones, dead letters say where and what.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

test('a corrected reading (same ts) carries its own quality flag: maintenance → normal, implausible → normal', async () => {
  const cred = await tp.register({ id: 'air-fix-001' });
  const client = await tp.connect(cred.username, cred.password);
  const ts = Date.now() - 60_000;
  const topic = 'shanshui/v1/air-fix-001/up/readings';
  await client.publishAsync(topic, JSON.stringify({ seq: 1, ts, values: { pm10: { v: 61, q: 'M' }, pm25: -40 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT q_pm10 FROM air WHERE station = 'air-fix-001'`))[0]?.['q_pm10'] === 'maintenance', 'the flagged point');
  await client.publishAsync(topic, JSON.stringify({ seq: 2, ts, values: { pm10: { v: 62, q: 'N' }, pm25: 35 } }), { qos: 1 });
  const from = new Date(ts - 1000).toISOString();
  const to = new Date(ts + 1000).toISOString();
  const rows = await eventually(async () => {
    const res = await tp.api('GET', `/api/v1/stations/air-fix-001/readings?metric=pm10,pm25&from=${from}&to=${to}`);
    const row = res.body?.items?.[0];
    return row?.values?.pm10?.v === 62 ? res.body.items : undefined;
  }, 'the corrected point');
  expect(rows).toHaveLength(1);
  expect(rows[0].values).toEqual({ pm10: { v: 62, q: 'ok' }, pm25: { v: 35, q: 'ok' } });
  const latest = await tp.api('GET', '/api/v1/stations/air-fix-001/readings/latest');
  expect(latest.status).toBe(200);
  expect(latest.body.values.pm10).toMatchObject({ value: 62, quality: 'ok' });
  expect(latest.body.values.pm25).toMatchObject({ value: 35, quality: 'ok' });
});
