/**
 * Scale-out mode: devices publish to Mosquitto; ingest is its durable QoS 1 subscriber and
 * PUBACKs only after the spool fsync, so what Mosquitto queued while ingest was down arrives.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { createLogger, parseConfig, startPlatform } from '@shanshui/ingest';
import type { Platform } from '@shanshui/ingest';
import { startInfluxd, eventually } from '../support/test-platform.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { tempDir } from '../support/temp-dir.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

/** A Mosquitto, an influxd and a data folder, stopped and removed after the file's tests. */
async function brokerStoreAndFolder(): Promise<{ mosquitto: Awaited<ReturnType<typeof startMosquitto>>; influxd: Awaited<ReturnType<typeof startInfluxd>>['influxd']; data: Awaited<ReturnType<typeof tempDir>> }> {
  const mosquitto = await startMosquitto();
  cleanup.push(() => mosquitto.stop());
  const { influxd, remove } = await startInfluxd();
  cleanup.push(remove);
  const data = await tempDir();
  cleanup.push(data.remove);
  return { mosquitto, influxd, data };
}

test('readings published to Mosquitto reach InfluxDB, including those queued while ingest was down', async () => {
  const { mosquitto, influxd, data } = await brokerStoreAndFolder();
  const config = parseConfig({
    dataDir: data.dir,
    host: '127.0.0.1',
    httpPort: 0,
    influxUrl: influxd.url,
    externalBrokerUrl: mosquitto.url,
    logLevel: 'silent',
    scryptCost: 1024,
    apiToken: 'test-admin-token-0123456789',
  });
  let platform: Platform = await startPlatform(config, createLogger('silent'));
  cleanup.push(() => platform.stop());
  await platform.registry.register({ id: 'ext-air-1', name: '外部代理测试站', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env' });
  assert.equal(platform.mqttPort, 0, 'no embedded listener in external mode');

  const device = await mqtt.connectAsync(mosquitto.url, { clientId: 'ext-air-1', reconnectPeriod: 0 });
  cleanup.push(() => device.endAsync(true));
  const t0 = Date.now() - 60_000;
  const publish = (seq: number) => device.publishAsync('shanshui/v1/ext-air-1/up/readings', JSON.stringify({ seq, ts: t0 + seq, values: { pm25: seq } }), { qos: 1 });
  for (let seq = 1; seq <= 20; seq++) await publish(seq);
  await eventually(async () => (await platform.influx.query(`SELECT count(pm25) FROM air WHERE station='ext-air-1'`))[0]?.values[0]?.[1] === 20, '20 readings via Mosquitto');

  // Ingest goes away; Mosquitto keeps its persistent session's messages.
  await platform.stop();
  for (let seq = 21; seq <= 60; seq++) await publish(seq);
  platform = await startPlatform(config, createLogger('silent'));
  await eventually(async () => (await platform.influx.query(`SELECT count(pm25) FROM air WHERE station='ext-air-1'`))[0]?.values[0]?.[1] === 60, '60 readings after restart', 20_000);
  const rows = await platform.influx.query(`SELECT pm25 FROM air WHERE station='ext-air-1'`);
  assert.deepEqual(rows[0]!.values.map((r) => r[1]), Array.from({ length: 60 }, (_, i) => i + 1));
});

test('the external broker URL is logged without its credentials', async () => {
  const { mosquitto, influxd, data } = await brokerStoreAndFolder();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const config = parseConfig({
    dataDir: data.dir,
    host: '127.0.0.1',
    httpPort: 0,
    influxUrl: influxd.url,
    // Mosquitto here admits anyone; the user and password are what an operator's URL carries.
    externalBrokerUrl: mosquitto.url.replace('mqtt://', 'mqtt://ingest:ext-broker-pass-4711@'),
    logLevel: 'info',
    scryptCost: 1024,
    apiToken: 'test-admin-token-0123456789',
  });
  const platform = await startPlatform(config, logger);
  cleanup.push(() => platform.stop());
  const subscribed = lines.find((l) => l.includes('subscribed to the external broker'));
  assert.ok(subscribed, 'the subscription is logged');
  assert.match(subscribed, /mqtt:\/\/\*\*\*@127\.0\.0\.1:\d+/, 'the broker is named, its credentials masked');
  assert.deepEqual(lines.filter((l) => l.includes('ext-broker-pass-4711')), [], 'the password is in no log line');
});
