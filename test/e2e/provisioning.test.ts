/** A technician provisions a gateway with a one-time token; the platform configures it with a retained message. */
import { test, beforeAll, afterAll, vi } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const provision = (token: string) => tp.api('POST', '/api/v1/provision', { token }, 'no-bearer-needed');

test('provisioning: a good token yields working credentials once; reused, expired and unknown tokens are refused clearly', async () => {
  await tp.register({ id: 'pump-st-01', domain: 'reservoir', department: 'water' });
  const created = await tp.api('POST', '/api/v1/stations/pump-st-01/bootstrap-tokens', { ttlSec: 600 });
  assert.equal(created.status, 201);
  assert.match(created.body.token, /^sst_/);

  const good = await provision(created.body.token);
  assert.equal(good.status, 201, JSON.stringify(good.body));
  assert.equal(good.body.stationId, 'pump-st-01');
  assert.match(good.body.credentials.mqtt.tcp, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(good.body.config, null);
  const client = await tp.connect(good.body.credentials.username, good.body.credentials.password);
  assert.ok(client.connected);

  const reused = await provision(created.body.token);
  assert.equal(reused.status, 410);
  assert.equal(reused.body.error.code, 'PROVISION_ERR_TOKEN_USED');

  const short = await tp.api('POST', '/api/v1/stations/pump-st-01/bootstrap-tokens', { ttlSec: 1 });
  // The token's second passes on the clock (fake Date) instead of being slept through.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + 1100);
  const expired = await provision(short.body.token).finally(() => vi.useRealTimers());
  assert.equal(expired.status, 410);
  assert.equal(expired.body.error.code, 'PROVISION_ERR_TOKEN_EXPIRED');

  const unknown = await provision('sst_this-token-was-never-issued');
  assert.equal(unknown.status, 401);
  assert.equal(unknown.body.error.code, 'PROVISION_ERR_TOKEN_UNKNOWN');

  const malformed = await tp.api('POST', '/api/v1/provision', { token: 5 }, 'x');
  assert.equal(malformed.status, 400);
  assert.equal((await tp.api('POST', '/api/v1/stations/nope/bootstrap-tokens', {})).status, 404);

  // Re-provisioning rotates the credentials: the old password stops working.
  const again = await tp.api('POST', '/api/v1/stations/pump-st-01/bootstrap-tokens', {});
  const second = await provision(again.body.token);
  assert.equal(second.status, 201);
  assert.notEqual(second.body.credentials.password, good.body.credentials.password);
  await client.endAsync();
  await assert.rejects(tp.connect('pump-st-01', good.body.credentials.password));
});

test('remote config: validated, versioned, delivered retained on the device\'s own down/config', async () => {
  const cred = await tp.register({ id: 'gw-cfg-01', domain: 'water', department: 'water' });
  const bad = await tp.api('PUT', '/api/v1/stations/gw-cfg-01/config', { version: 1, sources: [{ kind: 'opcua', endpointUrl: 'http://x', items: [] }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /endpointUrl: an opc\.tcp:\/\/ URL/);
  assert.match(bad.body.error.message, /items/);
  const wrongMetric = await tp.api('PUT', '/api/v1/stations/gw-cfg-01/config', {
    version: 1,
    sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=2;s=Ph', metric: 'ph' }, { nodeId: 'ns=2;s=Pm', metric: 'pm25' }] }],
  });
  assert.equal(wrongMetric.status, 400);
  assert.match(wrongMetric.body.error.message, /unknown for water stations: sources\.0\.items\.1\.metric: pm25$/);

  const cfg = { version: 1, uplink: { profile: 'nbiot', batchIntervalSec: 300, maxPayloadBytes: 512, keepaliveSec: 900 }, sources: [{ kind: 'hj212', port: 9212 }] };
  const ok = await tp.api('PUT', '/api/v1/stations/gw-cfg-01/config', cfg);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await tp.api('PUT', '/api/v1/stations/gw-cfg-01/config', cfg)).status, 409, 'version must increase');

  const device = await tp.connect(cred.username, cred.password);
  const received = new Promise<{ topic: string; payload: string; retain: boolean }>((resolve) =>
    device.on('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), retain: packet.retain })),
  );
  await device.subscribeAsync('shanshui/v1/gw-cfg-01/down/#', { qos: 1 });
  const msg = await received;
  assert.equal(msg.topic, 'shanshui/v1/gw-cfg-01/down/config');
  assert.equal(msg.retain, true);
  const delivered = JSON.parse(msg.payload);
  assert.equal(delivered.version, 1);
  assert.equal(delivered.uplink.profile, 'nbiot');
  assert.equal(delivered.sources[0].utcOffsetMinutes, 480, 'defaults filled in by the schema');
  assert.deepEqual((await tp.api('GET', '/api/v1/stations/gw-cfg-01/config')).body.config, delivered);
});

test('remote config for a gateway of child stations: OPC-UA items and HJ 212 / SL 651 maps may name only its children; an item\'s metric is checked against its child\'s domain', async () => {
  await tp.register({ id: 'gw-kids', domain: 'water', department: 'water' });
  await tp.register({ id: 'gw-kids-dam', domain: 'reservoir', department: 'water', gatewayId: 'gw-kids' });
  await tp.register({ id: 'gw-kids-stranger', domain: 'reservoir', department: 'water' });
  const opcua = (items: unknown[]) => ({ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items });
  const put = (version: number, sources: unknown[]) => tp.api('PUT', '/api/v1/stations/gw-kids/config', { version, sources });

  const stranger = await put(1, [opcua([{ nodeId: 'ns=2;s=Ph', metric: 'ph' }, { nodeId: 'ns=2;s=L', metric: 'water_level', stationId: 'gw-kids-stranger' }]), { kind: 'sl651', port: 9651, stations: { '0012345678': 'gw-kids-stranger' } }]);
  assert.equal(stranger.status, 400);
  assert.match(stranger.body.error.message, /not child stations of gw-kids .*sources\.0\.items\.1\.stationId: gw-kids-stranger; sources\.1\.stations\.0012345678: gw-kids-stranger$/);
  // water_level is a reservoir metric: fine for the dam child, unknown for the water gateway itself.
  const wrongDomain = await put(1, [opcua([{ nodeId: 'ns=2;s=L', metric: 'water_level', stationId: 'gw-kids-dam' }, { nodeId: 'ns=2;s=L2', metric: 'water_level' }])]);
  assert.equal(wrongDomain.status, 400);
  assert.match(wrongDomain.body.error.message, /unknown for water stations: sources\.0\.items\.1\.metric: water_level$/);
  const badAddress = await put(1, [{ kind: 'sl651', port: 9651, stations: { '12345': 'gw-kids-dam' } }]);
  assert.equal(badAddress.status, 400);
  assert.match(badAddress.body.error.message, /a station address: 10 hex digits/);
  const ok = await put(1, [opcua([{ nodeId: 'ns=2;s=L', metric: 'water_level', stationId: 'gw-kids-dam' }, { nodeId: 'ns=2;s=Ph', metric: 'ph' }]), { kind: 'hj212', port: 9212, stations: { 'MN-01': 'gw-kids-dam', 'MN-02': 'gw-kids' } }]);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});
