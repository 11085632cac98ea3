/**
 * `up/status` and `up/events` messages that line protocol cannot carry — a fractional or
 * negative `ts`, an event `type` ending in a backslash (it would escape the separator after the
 * tag) — are dead letters naming the field, at the door. They never reach InfluxDB, so they
 * cannot make it refuse a batch: another station's reading written alongside is stored and
 * not dead-lettered. Real aedes, real mqtt.js clients, real influxd.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  // Its own influxd and spool: a refused batch here must not be confused with another test's.
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

interface DeadLetterItem {
  code: string;
  reason: string;
  topic: string;
  payloadText: string | null;
}

test('a status with a fractional or negative ts and an event type ending in a backslash are dead letters naming the cause; the good reading beside them is stored', async () => {
  const bad = await tp.register({ id: 'air-devmsg-bad' });
  const good = await tp.register({ id: 'air-devmsg-good' });
  const badClient = await tp.connect(bad.username, bad.password);
  const goodClient = await tp.connect(good.username, good.password);
  const ts = Date.now() - 30_000;

  const sent = [
    { topic: 'shanshui/v1/air-devmsg-bad/up/status', payload: '{"ts":1.5,"battery":3}' },
    { topic: 'shanshui/v1/air-devmsg-bad/up/status', payload: '{"ts":-1e300,"battery":3}' },
    // The string `door\` (JSON escapes the backslash).
    { topic: 'shanshui/v1/air-devmsg-bad/up/events', payload: '{"type":"door\\\\","detail":"x"}' },
  ];
  // Published back to back with the good reading, so they would share the drain's batch.
  await Promise.all([
    ...sent.map((m) => badClient.publishAsync(m.topic, m.payload, { qos: 1 })),
    goodClient.publishAsync('shanshui/v1/air-devmsg-good/up/readings', JSON.stringify({ seq: 1, ts, values: { pm25: 35 } }), { qos: 1 }),
  ]);
  // The same station's well-formed status after them is still taken.
  await badClient.publishAsync('shanshui/v1/air-devmsg-bad/up/status', JSON.stringify({ ts: ts + 1, battery: 3.6 }), { qos: 1 });

  const items = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/dead-letters?device=air-devmsg-bad');
    return res.body?.items?.length >= 3 ? (res.body.items as DeadLetterItem[]) : undefined;
  }, 'three dead letters for the bad messages');
  expect(items).toHaveLength(3);
  const byPayload = new Map(items.map((d) => [d.payloadText, d]));
  expect(byPayload.get(sent[0]!.payload)).toMatchObject({ code: 'INGEST_ERR_PAYLOAD_INVALID', topic: sent[0]!.topic });
  expect(byPayload.get(sent[0]!.payload)!.reason).toMatch(/ts: expected epoch milliseconds \(UTC\), a whole number ≥ 0 — got 1\.5$/);
  expect(byPayload.get(sent[1]!.payload)).toMatchObject({ code: 'INGEST_ERR_PAYLOAD_INVALID', topic: sent[1]!.topic });
  expect(byPayload.get(sent[1]!.payload)!.reason).toMatch(/ts: expected epoch milliseconds \(UTC\), a whole number ≥ 0 — got -1e\+300$/);
  expect(byPayload.get(sent[2]!.payload)).toMatchObject({ code: 'INGEST_ERR_PAYLOAD_INVALID', topic: sent[2]!.topic });
  expect(byPayload.get(sent[2]!.payload)!.reason).toMatch(/type: expected an event type: letters, digits, _ \. : - \(1–64, starting with a letter\) — got "door\\\\"$/);

  // The good reading and the good status are in InfluxDB …
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'air-devmsg-good'`))[0]?.['pm25'] === 35, 'the good reading stored');
  await eventually(async () => (await tp.query(`SELECT battery FROM device_status WHERE station = 'air-devmsg-bad'`))[0]?.['battery'] === 3.6, 'the good status stored');
  // … and nothing of the bad ones: no timestamp 1.5 or -1e300, no event.
  expect(await tp.query(`SELECT * FROM device_status WHERE station = 'air-devmsg-bad'`)).toHaveLength(1);
  expect(await tp.query(`SELECT * FROM device_events WHERE station = 'air-devmsg-bad'`)).toHaveLength(0);
  // No batch refused by InfluxDB, and the good station has no dead letter.
  expect((await tp.api('GET', '/api/v1/dead-letters?device=(storage)')).body.items).toEqual([]);
  expect((await tp.api('GET', '/api/v1/dead-letters?device=air-devmsg-good')).body.items).toEqual([]);
});
