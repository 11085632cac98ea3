/**
 * Fault test — a gateway publishing for its child stations: the broker lets device G
 * publish to `shanshui/v1/{S}/up/…` only when S is G or station S names G as its gateway, looked
 * up on every publish (a re-parented or detached child is refused on a connection opened before
 * the change). A refusal is the usual one [MQTT-3.3.5-2]: the connection closes without PUBACK
 * and nothing is stored — checked behind a barrier as in broker-security.test.ts. What is
 * accepted is the child's: tags, sequence accounting and presence are per station.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { connectOnce, endQuietly, publishQos1 } from '../support/mqtt-device.ts';

let tp: TestPlatform;
let url: string;
const creds = new Map<string, { username: string; password: string }>();
const clients: MqttClient[] = [];
const baseTs = Date.now() - 3_600_000;
let nextTs = baseTs;

beforeAll(async () => {
  tp = await startTestPlatform();
  url = `mqtt://127.0.0.1:${tp.platform.mqttPort}`;
  for (const id of ['gw-1', 'gw-2', 'acl-witness', 'acl-other']) creds.set(id, await tp.register({ id }));
  creds.set('gw-water', await tp.register({ id: 'gw-water', department: 'water', domain: 'water' }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => endQuietly(c)));
  await tp?.close();
});

async function connectAs(id: string): Promise<MqttClient> {
  const cred = creds.get(id)!;
  const client = await connectOnce(url, { clientId: id, username: cred.username, password: cred.password });
  clients.push(client);
  return client;
}

const reading = (seq: number, ts: number, pm25 = 12): string => JSON.stringify({ seq, ts, values: { pm25 } });

/** A fresh reading of the witness, stored: everything spooled before it is in InfluxDB too. */
async function barrier(): Promise<void> {
  const client = await connectAs('acl-witness');
  const ts = ++nextTs;
  assert.equal(await publishQos1(client, 'shanshui/v1/acl-witness/up/readings', reading(ts - baseTs, ts)), 'acked');
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'acl-witness' AND time = ${ts}ms`)).length === 1, 'the barrier reading', 30_000);
  await endQuietly(client);
}

async function pointsAt(ts: number): Promise<number> {
  return (await tp.query(`SELECT pm25 FROM air WHERE time = ${ts}ms`)).length;
}

test('a child station names its gateway when registered: same department, an existing station, not itself; refused with 400 and the reason otherwise', async () => {
  const base = { name: '子站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: 'eco-env' };
  const ok = await tp.api('POST', '/api/v1/stations', { ...base, id: 'acl-c1', gatewayId: 'gw-1' });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal(ok.body.station.gatewayId, 'gw-1');
  assert.equal((await tp.api('GET', '/api/v1/stations/acl-c1')).body.station.gatewayId, 'gw-1', 'shown in the station JSON');

  const refused = async (body: Record<string, unknown>, why: RegExp): Promise<void> => {
    const res = await tp.api('POST', '/api/v1/stations', { ...base, ...body });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'API_ERR_GATEWAY_INVALID');
    assert.match(res.body.error.message, why);
  };
  await refused({ id: 'acl-bad-1', gatewayId: 'gw-water' }, /department water.*eco-env.*same/);
  await refused({ id: 'acl-bad-2', gatewayId: 'gw-nobody' }, /no such station/);
  await refused({ id: 'acl-bad-3', gatewayId: 'acl-bad-3' }, /its own gateway/);
  await refused({ id: 'acl-bad-4', gatewayId: 'acl-c1' }, /itself a child station of gw-1/);
  // None of the refused ones was registered.
  assert.equal((await tp.api('GET', '/api/v1/stations/acl-bad-1')).status, 404);
});

test('the gateway publishes for its child: stored under the child with the child\'s tags; sequence accounting and presence are the child\'s', async () => {
  const gw = await connectAs('gw-1');
  const ts = ++nextTs;
  assert.equal(await publishQos1(gw, 'shanshui/v1/acl-c1/up/readings', reading(1, ts, 35)), 'acked');
  const rows = await eventually(async () => {
    const r = await tp.query(`SELECT pm25, station, domain, dept, region FROM air WHERE time = ${ts}ms`);
    return r.length > 0 ? r : undefined;
  }, 'the child reading', 30_000);
  assert.deepEqual(rows, [{ time: ts, pm25: 35, station: 'acl-c1', domain: 'air', dept: 'eco-env', region: '440106' }]);
  const shown = (await tp.api('GET', '/api/v1/stations/acl-c1')).body;
  assert.equal(shown.delivery.lastSeq, 1, 'the child\'s own sequence');
  assert.equal(shown.delivery.received, 1);
  assert.deepEqual({ online: shown.presence.online, via: shown.presence.via }, { online: true, via: 'gw-1' }, 'online through its connected gateway, having reported');
  assert.equal((await tp.api('GET', '/api/v1/stations/gw-1')).body.delivery, null, 'nothing counted for the gateway itself');
  await endQuietly(gw);
  await eventually(async () => (await tp.api('GET', '/api/v1/stations/acl-c1')).body.presence.online === false, 'the child offline with its gateway');
});

test('[MQTT-3.3.5-2] a gateway publishing for a station that is not its child is refused: no PUBACK, nothing stored, no dead letter', async () => {
  const ts = ++nextTs;
  const gw = await connectAs('gw-1');
  assert.equal(await publishQos1(gw, 'shanshui/v1/acl-other/up/readings', reading(1, ts)), 'closed');
  // Nor on another gateway's own topics, status included.
  const gw2 = await connectAs('gw-1');
  assert.equal(await publishQos1(gw2, 'shanshui/v1/gw-2/up/status', '{"online":true}'), 'closed');
  await barrier();
  assert.equal(await pointsAt(ts), 0);
  assert.equal((await tp.api('GET', '/api/v1/dead-letters?device=acl-other')).body.items.length, 0);
  assert.equal((await tp.api('GET', '/api/v1/stations/acl-other')).body.delivery, null);
});

test('a child re-parented to another gateway is refused for the old one at once (same connection, no reconnect), accepted from the new; a detached child is refused', async () => {
  const oldGw = await connectAs('gw-1');
  const newGw = await connectAs('gw-2');
  const before = ++nextTs;
  assert.equal(await publishQos1(oldGw, 'shanshui/v1/acl-c1/up/readings', reading(2, before)), 'acked', 'still its child');

  const moved = await tp.api('PATCH', '/api/v1/stations/acl-c1', { gatewayId: 'gw-2' });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.equal(moved.body.station.gatewayId, 'gw-2');
  const refusedTs = ++nextTs;
  assert.equal(await publishQos1(oldGw, 'shanshui/v1/acl-c1/up/readings', reading(3, refusedTs)), 'closed', 'the old gateway is refused on its open connection');
  const acceptedTs = ++nextTs;
  assert.equal(await publishQos1(newGw, 'shanshui/v1/acl-c1/up/readings', reading(3, acceptedTs)), 'acked', 'the new gateway is accepted on a connection opened before the change');

  const detached = await tp.api('PATCH', '/api/v1/stations/acl-c1', { gatewayId: null });
  assert.equal(detached.status, 200);
  assert.equal('gatewayId' in detached.body.station, false);
  const afterDetach = ++nextTs;
  assert.equal(await publishQos1(newGw, 'shanshui/v1/acl-c1/up/readings', reading(4, afterDetach)), 'closed', 'a detached child is nobody\'s');

  await barrier();
  assert.equal(await pointsAt(before), 1);
  assert.equal(await pointsAt(acceptedTs), 1);
  assert.equal(await pointsAt(refusedTs), 0, 'nothing of the refused publish stored');
  assert.equal(await pointsAt(afterDetach), 0);

  // Re-parenting follows the same rules as registering.
  const crossDept = await tp.api('PATCH', '/api/v1/stations/acl-c1', { gatewayId: 'gw-water' });
  assert.equal(crossDept.status, 400);
  assert.equal(crossDept.body.error.code, 'API_ERR_GATEWAY_INVALID');
});

test('deleting a gateway detaches its children (a station registered later under that id inherits none)', async () => {
  creds.set('gw-3', await tp.register({ id: 'gw-3' }));
  await tp.register({ id: 'acl-c3', gatewayId: 'gw-3' });
  assert.equal((await tp.api('DELETE', '/api/v1/stations/gw-3')).status, 204);
  const child = (await tp.api('GET', '/api/v1/stations/acl-c3')).body.station;
  assert.equal('gatewayId' in child, false);
  creds.set('gw-3', await tp.register({ id: 'gw-3' }));
  const gw = await connectAs('gw-3');
  assert.equal(await publishQos1(gw, 'shanshui/v1/acl-c3/up/readings', reading(1, ++nextTs)), 'closed');
});

test('races: one id registered twice at once gets 201 and 409 (never 500); a child registered while its gateway becomes a child leaves no two-level chain', async () => {
  const body = { id: 'race-1', name: '并发', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env' };
  const [a, b] = await Promise.all([tp.api('POST', '/api/v1/stations', body), tp.api('POST', '/api/v1/stations', body)]);
  assert.deepEqual([a.status, b.status].sort(), [201, 409], JSON.stringify([a.body, b.body]));

  await tp.register({ id: 'race-top' });
  await tp.register({ id: 'race-mid' });
  const [child, made] = await Promise.all([
    tp.api('POST', '/api/v1/stations', { ...body, id: 'race-leaf', gatewayId: 'race-mid' }),
    tp.api('PATCH', '/api/v1/stations/race-mid', { gatewayId: 'race-top' }),
  ]);
  const mid = (await tp.api('GET', '/api/v1/stations/race-mid')).body.station;
  const leaf = (await tp.api('GET', '/api/v1/stations/race-leaf')).body.station;
  assert.ok(!(mid.gatewayId !== undefined && leaf?.gatewayId !== undefined), `two levels: ${JSON.stringify({ child: child.status, made: made.status, mid, leaf })}`);
});
