/**
 * createPlatform builds every component and route without a listening socket: the API answers
 * through `inject()`, registry changes arrive as typed platform events, and `listen()` then opens
 * the MQTT and HTTP ports of the same objects.
 */
import { test, expect, afterAll, beforeAll } from 'vitest';
import mqtt from 'mqtt';
import { createLogger, createPlatform, parseConfig } from '@shanshui/ingest';
import type { BuiltPlatform } from '@shanshui/ingest';
import type { Station } from '@shanshui/models';
import { startInfluxd } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

let influx: Awaited<ReturnType<typeof startInfluxd>>;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let built: BuiltPlatform;

beforeAll(async () => {
  influx = await startInfluxd();
  tmp = await tempDir();
  const config = parseConfig({ dataDir: tmp.dir, host: '127.0.0.1', mqttPort: 0, httpPort: 0, influxUrl: influx.influxd.url, logLevel: 'silent', scryptCost: 1024, apiToken: 'test-admin-token-0123456789', defaultRules: false });
  built = await createPlatform(config, createLogger(config.logLevel));
});
afterAll(async () => {
  await built?.stop();
  await influx?.remove();
  await tmp?.remove();
});

const auth = { authorization: 'Bearer test-admin-token-0123456789' };

test('built, not listening: routes answer through inject(), registry changes are platform events', async () => {
  expect(built.api.server.listening).toBe(false);
  const changed: Station[] = [];
  const removed: Station[] = [];
  built.events.on('stationChanged', (s) => changed.push(s));
  built.events.on('stationRemoved', (s) => removed.push(s));
  const res = await built.api.inject({ method: 'POST', url: '/api/v1/stations', headers: auth, payload: { id: 'air-built-1', name: '站', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env' } });
  expect(res.statusCode).toBe(201);
  // The note says what is kept, as the README does: a keyed hash of a generated secret, not scrypt.
  expect(res.json<{ credentials: { note: string } }>().credentials.note).toMatch(/keyed hash \(HMAC-SHA-256\)/);
  expect(changed.map((s) => s.id)).toEqual(['air-built-1']);
  const status = await built.api.inject({ method: 'GET', url: '/api/v1/status', headers: auth });
  expect(status.json()).toMatchObject({ stations: { total: 1, online: 0 } });
  const alerts = await built.api.inject({ method: 'GET', url: '/api/v1/alerts', headers: auth });
  expect(alerts.statusCode).toBe(200);
  expect((await built.api.inject({ method: 'DELETE', url: '/api/v1/stations/air-built-1', headers: auth })).statusCode).toBe(204);
  expect(removed.map((s) => s.id)).toEqual(['air-built-1']);
});

test('listen() opens the ports of the same objects: a device registered before connects over MQTT', async () => {
  const res = await built.api.inject({ method: 'POST', url: '/api/v1/stations', headers: auth, payload: { id: 'air-built-2', name: '站', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env' } });
  const { username, password } = res.json().credentials as { username: string; password: string };
  const platform = await built.listen();
  expect(platform.mqttPort).toBeGreaterThan(0);
  const durable: string[] = [];
  platform.events.on('readingsDurable', (e) => durable.push(e.station.id));
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${platform.mqttPort}`, { clientId: username, username, password, reconnectPeriod: 0 });
  await client.publishAsync('shanshui/v1/air-built-2/up/readings', JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 12 } }), { qos: 1 });
  expect(durable).toEqual(['air-built-2']);
  await client.endAsync();
});
