/**
 * Points InfluxDB itself refuses (a 4xx: here a field type conflict, the way a metric once
 * written as text poisons its shard) are kept as a dead letter with InfluxDB's answer and the
 * batch's line protocol, and the drain moves on: later readings are stored. Real influxd, real
 * mqtt.js device, through the spool and the drain.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  // Its own influxd: the conflicting field would refuse other tests' readings too.
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

test('points InfluxDB refuses become a dead letter with its answer and the batch, and later readings are stored', async () => {
  const ts = Date.now() - 60_000;
  // `pm25` as a string in this shard: any numeric pm25 written to it is refused (400, field type conflict).
  await tp.platform.influx.write(`air,station=someone-else pm25="n/a" ${ts - 1000}`);
  const cred = await tp.register({ id: 'air-refused-001' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-refused-001/up/readings';
  await client.publishAsync(topic, JSON.stringify({ seq: 1, ts, values: { pm25: 35 } }), { qos: 1 });
  const letter = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/dead-letters?device=(storage)');
    return (res.body?.items ?? []).find((d: { payloadText: string | null }) => d.payloadText?.includes('station=air-refused-001'));
  }, 'the refused batch as a dead letter');
  expect(letter).toMatchObject({ code: 'INGEST_ERR_STORAGE_REJECTED', topic: '(influx-write)', encoding: 'line-protocol' });
  expect(letter.reason).toMatch(/^InfluxDB refused the points: 400 .*field type conflict/);
  expect(letter.payloadText).toMatch(new RegExp(`^air,.*station=air-refused-001 pm25=35,q_pm25="ok" ${ts}$`, 'm'));
  // The drain went on: a reading without the conflicting field is stored.
  await client.publishAsync(topic, JSON.stringify({ seq: 2, ts: ts + 1000, values: { pm10: 50 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT pm10 FROM air WHERE station = 'air-refused-001'`))[0]?.['pm10'] === 50, 'the next reading stored');
});
