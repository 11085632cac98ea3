/**
 * Fault test — README "Guarantees": the spool is bounded; when it is full, new
 * publishes are refused (no PUBACK: MQTT 3.1.1 has no reason code, so the broker closes the
 * connection [MQTT-3.3.5-2] and the device keeps the reading) — never silently dropped. The
 * refusal is counted (`shanshui_mqtt_refused_total{code="INGEST_ERR_SPOOL_FULL"}`) and
 * `/healthz` shows the spool near its bound. Once InfluxDB is back and the spool drains, the
 * refused reading and new ones are accepted, and every acknowledged reading is stored.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import { connectOnce, endQuietly, publishQos1 } from '../support/mqtt-device.ts';
import { metricValue } from '../support/prometheus-text.ts';

const SPOOL_MAX_BYTES = 8192;
const DEVICE = 'full-1';
const TOPIC = `shanshui/v1/${DEVICE}/up/readings`;

// Run inline and with accept worker threads (README "Every core"): the guarantee is the same.
test.for([0, 2])('a full spool refuses QoS 1 publishes without PUBACK, says so in /metrics and /healthz, and accepts again once drained (accept workers: %i)', { timeout: 120_000 }, async (acceptWorkers, t) => {
  const tp = await startTestPlatform({ spoolMaxBytes: SPOOL_MAX_BYTES, acceptWorkers });
  const clients: MqttClient[] = [];
  t.onTestFinished(async () => {
    await Promise.all(clients.map((c) => endQuietly(c)));
    await tp.close();
  });
  const cred = await tp.register({ id: DEVICE });
  const connect = async (): Promise<MqttClient> => {
    const c = await connectOnce(`mqtt://127.0.0.1:${tp.platform.mqttPort}`, { clientId: DEVICE, username: cred.username, password: cred.password });
    clients.push(c);
    return c;
  };
  const baseTs = Date.now() - 3_600_000;
  // Clean air (no warnings, whose alert points would share the spool): pm25 10…29.
  const pm25 = (seq: number): number => 10 + (seq % 20);
  const payload = (seq: number): string => JSON.stringify({ seq, ts: baseTs + seq, values: { pm25: pm25(seq) } });
  const metrics = async (): Promise<string> => (await tp.api('GET', '/metrics')).body as string;
  // Registration put station metadata into the spool: let it drain so the bound is the readings'.
  await eventually(async () => (await tp.api('GET', '/healthz')).body.spool.records === 0, 'empty spool', 30_000);

  await tp.influxd.kill('SIGKILL');

  // Fill the spool: publish one by one until the broker answers with a closed connection.
  const acked: number[] = [];
  let client = await connect();
  let refusedSeq: number | undefined;
  for (let seq = 1; seq <= 1000 && refusedSeq === undefined; seq++) {
    const outcome = await publishQos1(client, TOPIC, payload(seq));
    if (outcome === 'acked') acked.push(seq);
    else if (outcome === 'closed') refusedSeq = seq;
    else assert.fail(`publish ${seq}: neither PUBACK nor a closed connection within 10 s`);
  }
  assert.ok(refusedSeq !== undefined, 'a publish was refused once the spool was full');
  assert.ok(acked.length >= 20, `the spool took readings until full (${acked.length} acknowledged)`);
  console.log(`${acked.length} readings acknowledged before seq ${refusedSeq} was refused`);

  // Visible: counted by code, health 503 with the spool at its bound.
  const text = await metrics();
  assert.ok((metricValue(text, 'shanshui_mqtt_refused_total', { code: 'INGEST_ERR_SPOOL_FULL' }) ?? 0) >= 1, 'shanshui_mqtt_refused_total{code="INGEST_ERR_SPOOL_FULL"} counts the refusal');
  const health = await tp.api('GET', '/healthz');
  assert.equal(health.status, 503);
  assert.equal(health.body.spool.maxBytes, SPOOL_MAX_BYTES);
  assert.ok(health.body.spool.bytes >= SPOOL_MAX_BYTES * 0.9, `spool near full in /healthz (${health.body.spool.bytes} of ${SPOOL_MAX_BYTES} bytes)`);
  assert.ok(health.body.spool.records >= acked.length, 'the spool holds every acknowledged reading');
  const recordsWhenFull = health.body.spool.records as number;

  // Still full: the device's retry is refused again, nothing is dropped to make room.
  client = await connect();
  assert.equal(await publishQos1(client, TOPIC, payload(refusedSeq)), 'closed', 'retry refused while the spool is still full');
  assert.equal((await tp.api('GET', '/healthz')).body.spool.records, recordsWhenFull, 'nothing dropped to make room');

  await tp.influxd.restart();
  await eventually(async () => {
    const h = await tp.api('GET', '/healthz');
    return h.status === 200 && h.body.spool.records === 0;
  }, 'spool drained after InfluxDB returned', 60_000);

  // Accepted again: the refused reading (resent by the device) and new ones.
  client = await connect();
  assert.equal(await publishQos1(client, TOPIC, payload(refusedSeq)), 'acked', 'the refused reading is accepted once there is room');
  acked.push(refusedSeq);
  for (let seq = refusedSeq + 1; seq < refusedSeq + 20; seq++) {
    assert.equal(await publishQos1(client, TOPIC, payload(seq)), 'acked', `new publish ${seq} accepted after the drain`);
    acked.push(seq);
  }

  const expected = new Map(acked.map((seq) => [baseTs + seq, pm25(seq)]));
  const stored = await eventually(async () => {
    const rows = await tp.query(`SELECT pm25 FROM air WHERE station = '${DEVICE}'`);
    return rows.length >= expected.size ? new Map(rows.map((r) => [Number(r['time']), Number(r['pm25'])])) : undefined;
  }, 'every acknowledged reading in InfluxDB', 30_000);
  assert.deepEqual(stored, expected, 'InfluxDB holds exactly the acknowledged readings');
});
