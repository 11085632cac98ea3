/** Device → MQTT → ingest → InfluxDB, with real aedes, real mqtt.js clients and a real influxd. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { encodePayload } from '@shanshui/models';
import { startTestPlatform, eventually, eventuallyEqual } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { metricValue } from '../support/prometheus-text.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

test('a single JSON reading is stored in InfluxDB, tagged station/domain/region/dept', async () => {
  const cred = await tp.register({ id: 'air-gz-001', domain: 'air', region: '440106', department: 'eco-env' });
  const client = await tp.connect(cred.username, cred.password);
  const ts = Date.now() - 1000;
  await client.publishAsync('shanshui/v1/air-gz-001/up/readings', JSON.stringify({ seq: 1, ts: new Date(ts).toISOString(), values: { pm25: 35.5, pm10: 60 } }), { qos: 1 });
  // How fast is measured by `npm run bench` (docs/benchmarks.md), not asserted here.
  await eventuallyEqual(
    () => tp.query(`SELECT pm25, pm10, station, domain, region, dept FROM air WHERE station = 'air-gz-001'`),
    [{ time: ts, pm25: 35.5, pm10: 60, station: 'air-gz-001', domain: 'air', region: '440106', dept: 'eco-env' }],
    'the reading in InfluxDB, both fields',
  );
});

test('a CBOR batch with quality flags is stored point by point; flags travel as q_<metric>', async () => {
  const cred = await tp.register({ id: 'water-01', domain: 'water', department: 'water' });
  const client = await tp.connect(cred.username, cred.password);
  const t0 = Date.now() - 60_000;
  const payload = encodePayload(
    { seq: 1, readings: [0, 1, 2].map((i) => ({ ts: t0 + i * 10_000, values: { ph: 7 + i / 10, nh3n: { v: 0.5, q: i === 1 ? 'M' : 'N' } } })) },
    'cbor',
  );
  await client.publishAsync('shanshui/v1/water-01/up/readings', payload, { qos: 1 });
  const rows = await eventually(async () => {
    const r = await tp.query(`SELECT ph, nh3n, q_nh3n FROM water WHERE station = 'water-01'`);
    return r.length === 3 && r.every((p) => p['ph'] !== null && p['q_nh3n'] !== null) ? r : undefined;
  }, 'three water points, every field');
  assert.deepEqual(rows.map((r) => r['ph']), [7, 7.1, 7.2]);
  assert.deepEqual(rows.map((r) => r['q_nh3n']), ['ok', 'maintenance', 'ok']);
});

test('an implausible value is kept with quality "implausible", not thrown away', async () => {
  const cred = await tp.register({ id: 'air-bad-sensor' });
  const client = await tp.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/air-bad-sensor/up/readings', JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: -40, humidity: 55 } }), { qos: 1 });
  const rows = await eventually(async () => {
    const r = await tp.query(`SELECT pm25, q_pm25, humidity FROM air WHERE station = 'air-bad-sensor'`);
    return r.length && r[0]!['pm25'] !== null && r[0]!['q_pm25'] !== null && r[0]!['humidity'] !== null ? r : undefined;
  }, 'flagged point, every field');
  assert.equal(rows[0]!['pm25'], -40);
  assert.equal(rows[0]!['q_pm25'], 'implausible');
  assert.equal(rows[0]!['humidity'], 55);
});

test('bad payloads become dead letters with the exact reason; valid readings keep flowing', async () => {
  const cred = await tp.register({ id: 'air-noisy' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-noisy/up/readings';
  const now = Date.now();
  await client.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 }); // not JSON, not CBOR
  await client.publishAsync(topic, '{"seq": 2, "ts": 1', { qos: 1 }); // truncated JSON
  await client.publishAsync(topic, JSON.stringify({ seq: 3, ts: now, values: { pm25: 'high' } }), { qos: 1 });
  await client.publishAsync(topic, JSON.stringify({ seq: 4, ts: now, values: { ph: 7 } }), { qos: 1 }); // water metric on an air station
  await client.publishAsync(topic, JSON.stringify({ seq: 5, ts: now + 86_400_000, values: { pm25: 7 } }), { qos: 1 });
  await client.publishAsync(topic, JSON.stringify({ seq: 6, ts: now, values: { pm25: 12 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'air-noisy'`)).length === 1, 'the valid reading');
  // Dead letters reach the store through their own spool and drain, not with the readings: wait for all five.
  const res = await eventually(async () => {
    const r = await tp.api('GET', '/api/v1/dead-letters?device=air-noisy');
    return r.status === 200 && r.body.items.length >= 5 ? r : undefined;
  }, 'five dead letters');
  const reasons = res.body.items.map((d: { code: string; reason: string }) => `${d.code} ${d.reason}`).reverse();
  assert.equal(reasons.length, 5);
  assert.match(reasons[0], /INGEST_ERR_PAYLOAD_UNDECODABLE/);
  assert.match(reasons[1], /INGEST_ERR_PAYLOAD_UNDECODABLE .*not valid JSON/);
  assert.match(reasons[2], /INGEST_ERR_PAYLOAD_INVALID/);
  assert.match(reasons[3], /INGEST_ERR_READING_REJECTED .*unknown metric\(s\) for domain air: ph/);
  assert.match(reasons[4], /INGEST_ERR_READING_REJECTED .*in the future/);
  assert.deepEqual(Buffer.from(res.body.items.at(-1).payload, 'base64'), Buffer.from([0xff, 0xfe, 0x00]));
  const metrics = (await tp.api('GET', '/metrics')).body as string;
  assert.match(metrics, /shanshui_dead_letters_total\{code="INGEST_ERR_READING_REJECTED"\} 2/);
});

test('sequence gaps and duplicates are counted per device and shown in the API and metrics', async () => {
  const cred = await tp.register({ id: 'air-lossy' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-lossy/up/readings';
  for (const seq of [1, 2, 3, 7, 7, 8, 5]) {
    await client.publishAsync(topic, JSON.stringify({ seq, ts: Date.now() - 10_000 + seq, values: { pm25: seq } }), { qos: 1 });
  }
  const res = await tp.api('GET', '/api/v1/stations/air-lossy');
  assert.equal(res.status, 200);
  assert.deepEqual(
    { lastSeq: res.body.delivery.lastSeq, gaps: res.body.delivery.gaps, missing: res.body.delivery.missing, duplicates: res.body.delivery.duplicates, late: res.body.delivery.late },
    { lastSeq: 8, gaps: 1, missing: 2, duplicates: 1, late: 1 },
  );
  assert.equal(res.body.presence.online, true);
  const delivery = await tp.api('GET', '/api/v1/delivery');
  assert.equal(delivery.body.items[0].deviceId, 'air-lossy');
  const text = (await tp.api('GET', '/metrics')).body as string;
  assert.match(text, /shanshui_sequence_events_total\{verdict="gap"\} 1/);
  // Counted as plain numbers on the publish path, shown at scrape time (issue #16): the same names and types.
  assert.match(text, /# TYPE shanshui_accept_seconds histogram/);
  assert.match(text, /# TYPE shanshui_readings_accepted_total counter/);
  const count = metricValue(text, 'shanshui_accept_seconds_count')!;
  assert.ok(count >= 7, `accept latency observed per accepted message (${count})`);
  assert.equal(metricValue(text, 'shanshui_accept_seconds_bucket', { le: '+Inf' }), count, 'every observation within +Inf');
  assert.ok(metricValue(text, 'shanshui_messages_accepted_total', { kind: 'readings' })! >= 7);
  assert.ok(metricValue(text, 'shanshui_readings_accepted_total')! >= 7);
  // The accept worker pool as this machine's `auto` made it (none on one or two cores): its gauge and counters agree with it.
  const pool = tp.platform.acceptWorkers;
  assert.equal(metricValue(text, 'shanshui_accept_workers'), pool?.size ?? 0);
  if (!pool) assert.equal(metricValue(text, 'shanshui_accept_worker_messages_total'), 0);
  else assert.ok(metricValue(text, 'shanshui_accept_worker_messages_total')! >= 7);
});
