/**
 * Fault test — security at the broker (README "What happens to bad input"): per-device credentials,
 * client id = user name = device id, an ACL on every publish and subscribe, a packet-size limit,
 * and every refusal counted in `/metrics` (`shanshui_mqtt_refused_total{code}`). Real aedes, real
 * mqtt.js clients (MQTT 3.1.1), real influxd. "Nothing stored" is checked behind a barrier: a
 * legitimate reading published after the refused one must be in InfluxDB first (the spool drains
 * in order), and only then is the refused one's absence meaningful.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ConnectRefused, connectOnce, endQuietly, publishQos1 } from '../support/mqtt-device.ts';
import { metricValue } from '../support/prometheus-text.ts';
import { connectPacket, packetTypes, publishQos1Packet, rawExchange } from '../support/raw-mqtt.ts';

const MAX_PACKET_BYTES = 4096;
const CONNACK = 2;

let tp: TestPlatform;
let url: string;
const creds = new Map<string, { username: string; password: string }>();
const clients: MqttClient[] = [];
const baseTs = Date.now() - 3_600_000;
let nextTs = baseTs;

beforeAll(async () => {
  tp = await startTestPlatform({ maxPacketBytes: MAX_PACKET_BYTES });
  url = `mqtt://127.0.0.1:${tp.platform.mqttPort}`;
  for (const id of ['sec-a', 'sec-b', 'sec-witness']) creds.set(id, await tp.register({ id }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => endQuietly(c)));
  await tp?.close();
});

async function connectAs(id: string, options: { clientId?: string; password?: string } = {}): Promise<MqttClient> {
  const cred = creds.get(id) ?? { username: id, password: 'x'.repeat(32) };
  const client = await connectOnce(url, { clientId: options.clientId ?? id, username: cred.username, password: options.password ?? cred.password });
  clients.push(client);
  return client;
}

/** The CONNACK return code of a refused connection attempt. */
async function refusedWith(attempt: Promise<MqttClient>): Promise<number | undefined> {
  try {
    const client = await attempt;
    await endQuietly(client);
    return 0;
  } catch (err) {
    assert.ok(err instanceof ConnectRefused, String(err));
    return err.code;
  }
}

async function refusals(code: string): Promise<number> {
  const text = (await tp.api('GET', '/metrics')).body as string;
  return metricValue(text, 'shanshui_mqtt_refused_total', { code }) ?? 0;
}

const reading = (ts: number): string => JSON.stringify({ seq: ts - baseTs, ts, values: { pm25: 12 } });

/** Publishes a fresh reading as the witness device and waits until it is stored: everything spooled before it is in InfluxDB too. */
async function barrier(): Promise<void> {
  const client = await connectAs('sec-witness');
  const ts = ++nextTs;
  assert.equal(await publishQos1(client, 'shanshui/v1/sec-witness/up/readings', reading(ts)), 'acked');
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'sec-witness' AND time = ${ts}ms`)).length === 1, 'the barrier reading', 30_000);
  await endQuietly(client);
}

/** Points stored at `ts` for any station, and dead letters kept for `device`. */
async function traces(ts: number, device: string): Promise<{ points: number; deadLetters: number }> {
  const points = (await tp.query(`SELECT pm25 FROM air WHERE time = ${ts}ms`)).length;
  const dl = await tp.api('GET', `/api/v1/dead-letters?device=${device}`);
  return { points, deadLetters: dl.body.items.length };
}

test('[MQTT-3.2.2-4] [MQTT-3.2.2-5] a wrong secret gets CONNACK 4 (bad user name or password), then the connection is closed', async () => {
  const before = await refusals('BROKER_ERR_BAD_CREDENTIALS');
  assert.equal(await refusedWith(connectAs('sec-a', { password: 'not-the-secret-0123456789' })), 4);
  assert.equal(await refusedWith(connectAs('sec-a', { password: '' })), 4, 'an empty password too');
  // On the wire: CONNACK with return code 4, then the broker closes the connection itself.
  const { received, closedByBroker } = await rawExchange(tp.platform.mqttPort, connectPacket('sec-a', 'sec-a', 'not-the-secret-0123456789'), 10_000);
  assert.deepEqual([...received], [0x20, 0x02, 0x00, 0x04], 'CONNACK, session present 0 [MQTT-3.2.2-4], return code 4');
  assert.ok(closedByBroker, 'closed by the broker, not by the client');
  assert.equal(await refusals('BROKER_ERR_BAD_CREDENTIALS'), before + 3);
});

test('[MQTT-3.2.2-5] an unknown device gets the same CONNACK 4 as a wrong secret (registered ids cannot be probed)', async () => {
  const before = await refusals('BROKER_ERR_BAD_CREDENTIALS');
  assert.equal(await refusedWith(connectAs('sec-nobody')), 4);
  assert.equal(await refusals('BROKER_ERR_BAD_CREDENTIALS'), before + 1);
});

test('[MQTT-3.1.3-9] a client id other than the user name gets CONNACK 2 (identifier rejected), even with a valid secret', async () => {
  const before = await refusals('BROKER_ERR_CLIENT_ID');
  assert.equal(await refusedWith(connectAs('sec-a', { clientId: 'sec-b' })), 2, 'another device id as client id');
  assert.equal(await refusedWith(connectAs('sec-a', { clientId: 'sec-a-laptop' })), 2);
  assert.equal(await refusals('BROKER_ERR_CLIENT_ID'), before + 2);
});

test('[MQTT-3.1.4-5] a PUBLISH pipelined behind a refused CONNECT is not processed', async () => {
  const ts = ++nextTs;
  const bytes = Buffer.concat([
    connectPacket('sec-a', 'sec-a', 'not-the-secret-0123456789'),
    publishQos1Packet('shanshui/v1/sec-a/up/readings', reading(ts), 1),
  ]);
  const { received, closedByBroker } = await rawExchange(tp.platform.mqttPort, bytes);
  assert.deepEqual(packetTypes(received), [CONNACK], 'a CONNACK and nothing else (no PUBACK)');
  assert.equal(received[3], 4, 'CONNACK return code 4');
  assert.ok(closedByBroker, 'the broker closed the connection');
  await barrier();
  assert.deepEqual(await traces(ts, 'sec-a'), { points: 0, deadLetters: 0 });
});

test('[MQTT-3.3.5-2] a publish to another device\'s topic closes the connection without PUBACK; nothing is stored', async () => {
  const before = await refusals('BROKER_ERR_TOPIC_DENIED');
  const ts = ++nextTs;
  const a = await connectAs('sec-a');
  assert.equal(await publishQos1(a, 'shanshui/v1/sec-b/up/readings', reading(ts)), 'closed');
  assert.equal(a.connected, false);
  // Nor may a device forge a downlink, even its own.
  const a2 = await connectAs('sec-a');
  assert.equal(await publishQos1(a2, 'shanshui/v1/sec-a/down/command', '{"cmd":"reboot"}'), 'closed');
  assert.equal(await refusals('BROKER_ERR_TOPIC_DENIED'), before + 2);
  await barrier();
  assert.deepEqual(await traces(ts, 'sec-b'), { points: 0, deadLetters: 0 });
  assert.deepEqual(await traces(ts, 'sec-a'), { points: 0, deadLetters: 0 });
});

test('[MQTT-3.8.4-1] [MQTT-3.9.3-1] subscribing to another device\'s down/# or to # gets SUBACK 0x80 per filter; the connection stays usable', async () => {
  const before = await refusals('BROKER_ERR_TOPIC_DENIED');
  const a = await connectAs('sec-a');
  const filters = ['shanshui/v1/sec-b/down/#', '#', 'shanshui/v1/sec-a/down/#'];
  const granted = await a.subscribeAsync(filters, { qos: 1 }).then(
    () => assert.fail('a forbidden filter must not be granted'),
    (err: { packet?: { granted?: number[] } }) => err.packet?.granted,
  );
  assert.deepEqual(granted, [0x80, 0x80, 1], 'one return code per filter, in order: failure, failure, QoS 1');
  assert.equal(await refusals('BROKER_ERR_TOPIC_DENIED'), before + 2);
  assert.equal(a.connected, true, 'a refused subscription does not close the connection');
  const ts = ++nextTs;
  assert.equal(await publishQos1(a, 'shanshui/v1/sec-a/up/readings', reading(ts)), 'acked', 'and the device can still publish');
});

test('[MQTT-3.8.4-1] subscribing to its own shanshui/v1/{id}/down/# is granted QoS 1', async () => {
  const a = await connectAs('sec-a');
  const granted = await a.subscribeAsync('shanshui/v1/sec-a/down/#', { qos: 1 });
  assert.deepEqual(granted.map((g) => ({ topic: g.topic, qos: g.qos })), [{ topic: 'shanshui/v1/sec-a/down/#', qos: 1 }]);
});

test('[MQTT-3.3.5-2] a packet over maxPacketBytes closes the connection as soon as its header is read; nothing is stored', async () => {
  const before = await refusals('BROKER_ERR_PACKET_TOO_LARGE');
  const first = ++nextTs;
  // A valid batch of over 10 KB that would be stored if it got through.
  const readings = Array.from({ length: 200 }, (_, i) => ({ ts: first + i, values: { pm25: 12, pm10: 20 } }));
  nextTs += 200;
  const payload = JSON.stringify({ seq: 1, readings });
  assert.ok(payload.length > 10_000, `payload ${payload.length} bytes`);
  const a = await connectAs('sec-a');
  assert.equal(await publishQos1(a, 'shanshui/v1/sec-a/up/readings', payload), 'closed');
  assert.equal(await refusals('BROKER_ERR_PACKET_TOO_LARGE'), before + 1);
  await barrier();
  assert.deepEqual(await traces(first, 'sec-a'), { points: 0, deadLetters: 0 });
  assert.equal((await tp.query(`SELECT pm25 FROM air WHERE station = 'sec-a' AND time >= ${first}ms AND time < ${first + 200}ms`)).length, 0);
});

test('every refusal above is counted in /metrics by code', async () => {
  const text = (await tp.api('GET', '/metrics')).body as string;
  const byCode = Object.fromEntries(
    ['BROKER_ERR_BAD_CREDENTIALS', 'BROKER_ERR_CLIENT_ID', 'BROKER_ERR_TOPIC_DENIED', 'BROKER_ERR_PACKET_TOO_LARGE'].map((code) => [code, metricValue(text, 'shanshui_mqtt_refused_total', { code })]),
  );
  // Wrong secrets (mqtt.js, empty, raw), an unknown device, the pipelined CONNECT; 2 client ids; 2 publishes + 2 filters; 1 packet.
  assert.deepEqual(byCode, { BROKER_ERR_BAD_CREDENTIALS: 5, BROKER_ERR_CLIENT_ID: 2, BROKER_ERR_TOPIC_DENIED: 4, BROKER_ERR_PACKET_TOO_LARGE: 1 });
});
