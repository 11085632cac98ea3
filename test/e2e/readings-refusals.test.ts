/**
 * What the readings path refuses and flags, with a real aedes, real mqtt.js
 * clients and a real influxd: corrected readings carry their own flag, rejected messages are
 * counted apart from missing ones, dead letters say where and what.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTestPlatform, eventually, eventuallyEqual } from '../support/test-platform.ts';
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
  // Every value and flag of the correction, not only the first one seen.
  await eventuallyEqual(
    async () => ((await tp.api('GET', `/api/v1/stations/air-fix-001/readings?metric=pm10,pm25&from=${from}&to=${to}`)).body?.items ?? []).map((row: { values: unknown }) => row.values),
    [{ pm10: { v: 62, q: 'ok' }, pm25: { v: 35, q: 'ok' } }],
    'the corrected point, every value and flag',
  );
  const latest = await tp.api('GET', '/api/v1/stations/air-fix-001/readings/latest');
  expect(latest.status).toBe(200);
  expect(latest.body.values.pm10).toMatchObject({ value: 62, quality: 'ok' });
  expect(latest.body.values.pm25).toMatchObject({ value: 35, quality: 'ok' });
});

test('delivery statistics count dead-lettered messages as rejected, not missing: 9 messages PUBACKed, 3 refused', async () => {
  const cred = await tp.register({ id: 'air-seq-001' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-seq-001/up/readings';
  const ts = Date.now() - 30_000;
  for (let seq = 1; seq <= 9; seq++) {
    const payload =
      seq === 3 ? { seq, ts } // no values
      : seq === 5 ? { seq, ts: '2026-11-22T16:00:00', values: { pm25: 1 } } // a time without a zone
      : seq === 6 ? { seq, ts: ts + seq, values: { pm25: { v: 1, q: 'X' } } } // no such flag
      : { seq, ts: ts + seq, values: { pm25: 30 + seq } };
    await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }
  const delivery = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/stations/air-seq-001');
    return res.body?.delivery?.received === 9 ? res.body.delivery : undefined;
  }, 'nine messages counted');
  expect(delivery).toMatchObject({ lastSeq: 9, received: 9, gaps: 0, missing: 0, rejected: 3 });
});

test('dead letters name the path and the expected form; plain text is "not JSON or CBOR"; payloads read as text', async () => {
  const cred = await tp.register({ id: 'air-dl-001' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-dl-001/up/readings';
  const ts = Date.now() - 30_000;
  const sent = [
    JSON.stringify({ seq: 1, ts }),
    JSON.stringify({ seq: 2, ts: '2026-11-22T16:00:00', values: { pm25: 1 } }),
    JSON.stringify({ seq: 3, ts, values: { pm10: { v: 61, q: 'X' } } }),
    JSON.stringify({ seq: 4, readings: [{ ts, values: { pm25: 1 } }, { ts: '2026-11-22 16:00', values: { pm25: 2 } }] }),
    'pm25=35 温度=20',
  ];
  for (const p of sent) await client.publishAsync(topic, p, { qos: 1 });
  const items = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/dead-letters?device=air-dl-001');
    return res.body?.items?.length === 5 ? res.body.items : undefined;
  }, 'five dead letters');
  const reasons = items.map((d: { reason: string }) => d.reason).reverse();
  expect(reasons[0]).toMatch(/values: missing — expected an object of metric → number or \{"v": number, "q": flag\}/);
  expect(reasons[1]).toMatch(/ts: expected an ISO 8601 time with a zone/);
  expect(reasons[2]).toMatch(/values\.pm10\.q: expected an HJ 212 data flag \(N F M S D C T B\)/);
  expect(reasons[3]).toMatch(/readings\[1\]\.ts: expected an ISO 8601 time with a zone/);
  expect(reasons[4]).toMatch(/not JSON or CBOR/);
  expect(reasons[4]).toMatch(/pm25=35 温度=20/);
  for (const r of reasons) expect(r).not.toMatch(/\(root\): Invalid input/);
  expect(items.map((d: { payloadText: string | null }) => d.payloadText).reverse()).toEqual(sent);
});

test('dead letters are logged at warn with device and reason, at most 10 a minute', async () => {
  const lines: Array<{ level: number; msg: string; deviceId?: string; payload?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const own = await startTestPlatform({}, { logger: pino({ level: 'info' }, stream) });
  try {
    const cred = await own.register({ id: 'air-log-001' });
    const client = await own.connect(cred.username, cred.password);
    for (let i = 0; i < 25; i++) await client.publishAsync('shanshui/v1/air-log-001/up/readings', `温度=${i}`, { qos: 1 });
    await eventually(async () => (await own.api('GET', '/api/v1/dead-letters?device=air-log-001')).body?.total === 25, '25 dead letters kept');
    const logged = lines.filter((l) => l.msg.startsWith('dead letter from air-log-001'));
    expect(logged).toHaveLength(10);
    expect(logged[0]).toMatchObject({ level: 40, deviceId: 'air-log-001', payload: '温度=0' });
    expect(logged[0]!.msg).toMatch(/not JSON or CBOR: plain text "温度=0"/);
  } finally {
    await own.close();
  }
});

test('device_events: type is a tag only, never also a field (no type_1 column)', async () => {
  const cred = await tp.register({ id: 'air-evt-001' });
  const client = await tp.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/air-evt-001/up/events', JSON.stringify({ type: 'door_open', detail: '机柜门打开' }), { qos: 1 });
  await client.publishAsync('shanshui/v1/air-evt-001/up/events', JSON.stringify({ type: 'heartbeat_missed' }), { qos: 1 });
  const rows = await eventually(async () => {
    const r = await tp.query(`SELECT * FROM device_events WHERE station = 'air-evt-001'`);
    return r.length === 2 && r[0]!['detail'] !== null && r[0]!['detail'] !== undefined ? r : undefined;
  }, 'both events in InfluxDB, with the detail');
  expect(rows.map((r) => r['type'])).toEqual(['door_open', 'heartbeat_missed']);
  expect(rows[0]!['detail']).toBe('机柜门打开');
  const keys = (await tp.query('SHOW FIELD KEYS FROM device_events')).map((r) => r['fieldKey']);
  expect(keys).not.toContain('type');
  expect(rows.some((r) => 'type_1' in r)).toBe(false);
});
