/**
 * Fault test — a device's session ends when the platform takes its right to publish away, and
 * what a deleted station leaves behind is not handed to whoever registers its id next:
 * - deleting a station closes its open MQTT connection (it could otherwise keep publishing,
 *   into the department that registers the id again);
 * - rotating a secret closes the session opened with the old one;
 * - a station made a child (it publishes through its gateway) loses its own session and
 *   cannot open another;
 * - its presence, dead letters and delivery statistics go with the deleted station;
 * - MQTT over WebSocket knows the client's address (lockouts and presence need it).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ConnectRefused, connectOnce, endQuietly } from '../support/mqtt-device.ts';

let tp: TestPlatform;
let url: string;
const clients: MqttClient[] = [];
beforeAll(async () => {
  tp = await startTestPlatform({ wsPort: 0 });
  url = `mqtt://127.0.0.1:${tp.platform.mqttPort}`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => endQuietly(c)));
  await tp?.close();
});

async function connect(id: string, password: string): Promise<MqttClient & { closed: Promise<void> }> {
  const client = await connectOnce(url, { clientId: id, username: id, password });
  clients.push(client);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  return Object.assign(client, { closed });
}

async function refused(id: string, password: string): Promise<number | undefined> {
  try {
    const c = await connectOnce(url, { clientId: id, username: id, password });
    await endQuietly(c);
    return 0;
  } catch (err) {
    assert.ok(err instanceof ConnectRefused, String(err));
    return err.code;
  }
}

test('deleting a station ends its session; the id registered again by another department gets none of its data, presence or dead letters', async () => {
  const old = await tp.register({ id: 'rv-reuse', department: 'eco-env' });
  const device = await connect('rv-reuse', old.password);
  await device.publishAsync('shanshui/v1/rv-reuse/up/readings', '{"seq": 1, "values": {"secret_metric_of_eco_env": 42}}', { qos: 1 });
  await eventually(async () => (await tp.api('GET', '/api/v1/dead-letters?device=rv-reuse')).body.items.length === 1, 'the dead letter kept');

  assert.equal((await tp.api('DELETE', '/api/v1/stations/rv-reuse')).status, 204);
  await device.closed; // the platform closed the connection: no more publishing as a deleted station

  await tp.register({ id: 'rv-reuse', department: 'water' });
  const water = (await tp.api('POST', '/api/v1/tokens', { name: 'water tech', role: 'technician', departments: ['water'] })).body.token as string;
  const letters = await tp.api('GET', '/api/v1/dead-letters?device=rv-reuse', undefined, water);
  assert.equal(letters.status, 200, JSON.stringify(letters.body));
  assert.deepEqual(letters.body.items, [], 'eco-env’s raw payloads are not water’s');
  const shown = await tp.api('GET', '/api/v1/stations/rv-reuse', undefined, water);
  assert.equal(shown.body.presence.online, false);
  assert.equal(shown.body.presence.remoteAddress ?? null, null, 'no presence of the old device');
  assert.equal(shown.body.delivery, null);
  assert.equal(await refused('rv-reuse', old.password), 4, 'the old secret is dead');
});

test('rotating a secret ends the session opened with the old one', async () => {
  const cred = await tp.register({ id: 'rv-rotate' });
  const device = await connect('rv-rotate', cred.password);
  const rotated = await tp.api('POST', '/api/v1/stations/rv-rotate/credentials');
  assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
  await device.closed;
  assert.equal(await refused('rv-rotate', cred.password), 4);
  assert.equal(await refused('rv-rotate', rotated.body.credentials.password), 0);
});

test('a station made a child loses its own session and cannot open one: it reports through its gateway', async () => {
  await tp.register({ id: 'rv-gw', department: 'water', domain: 'water' });
  const child = await tp.register({ id: 'rv-child', department: 'water', domain: 'water' });
  const device = await connect('rv-child', child.password);
  const made = await tp.api('PATCH', '/api/v1/stations/rv-child', { gatewayId: 'rv-gw' });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  await device.closed;
  assert.equal(await refused('rv-child', child.password), 4, 'a child has no session of its own');
  const command = await tp.api('POST', '/api/v1/stations/rv-child/commands', { name: 'open_gate' });
  assert.equal(command.status, 400);
  assert.match(command.body.error.message, /reports through gateway rv-gw: send the command to rv-gw/);
  assert.equal((await tp.api('PATCH', '/api/v1/stations/rv-child', { gatewayId: null })).status, 200);
  assert.equal(await refused('rv-child', child.password), 0, 'detached, it is a device again');
});

test('MQTT over WebSocket: the client address is known (presence, lockouts)', async () => {
  const cred = await tp.register({ id: 'rv-ws' });
  const client = await mqtt.connectAsync(`ws://127.0.0.1:${tp.platform.wsPort}/mqtt`, { clientId: 'rv-ws', username: 'rv-ws', password: cred.password, reconnectPeriod: 0 });
  clients.push(client);
  const presence = await eventually(async () => {
    const p = (await tp.api('GET', '/api/v1/stations/rv-ws')).body.presence;
    return p.online ? p : undefined;
  }, 'online over WebSocket');
  assert.match(String(presence.remoteAddress), /127\.0\.0\.1/);
});
