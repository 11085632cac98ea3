/** The uplink's MQTT connection against a real Mosquitto: downlinks, reconnects, the clean stop. */
import { test, expect, onTestFinished, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { UplinkProfileSchema } from './uplink-options.ts';
import { UplinkConnection } from './uplink-connection.ts';
import type { UplinkConnectionOptions } from './uplink-connection.ts';
import { freePort } from '../free-port.fixture.ts';
import { startTestBroker } from './test-broker.fixture.ts';

const PROFILE = UplinkProfileSchema.parse({ profile: '5g', batchIntervalSec: 60, maxPayloadBytes: 1024, keepaliveSec: 60 });

function connection(url: string, overrides: Partial<UplinkConnectionOptions> = {}): UplinkConnection {
  const c = new UplinkConnection({
    deviceId: 'dev-1',
    password: 'x',
    url,
    connectTimeoutMs: 2000,
    willPayload: '{"online":false}',
    profile: PROFILE,
    logger: pino({ level: 'silent' }),
    reconnectMinMs: 20,
    reconnectMaxMs: 50,
    onUp: () => undefined,
    onDown: () => undefined,
    onDownlink: () => undefined,
    ...overrides,
  });
  onTestFinished(() => c.stop());
  return c;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-uplink-connection-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('connects, hands on down/config and down/command messages (nothing else), and publishes at QoS 1', async () => {
  const url = await startTestBroker(tempDir());
  const downlinks: Array<[string, string]> = [];
  let ups = 0;
  const c = connection(url, { onUp: () => ups++, onDownlink: (kind, payload) => downlinks.push([kind, payload.toString()]) });
  expect(c.publish('x', 'y', () => undefined)).toBe(false);
  c.start();
  await vi.waitFor(() => expect(c.stats()).toMatchObject({ state: 'connected', connects: 1, url }), { timeout: 30_000 });
  expect(ups).toBe(1);

  const platform = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  onTestFinished(() => platform.endAsync(true));
  const up: string[] = [];
  platform.on('message', (_topic, payload) => up.push(payload.toString()));
  await platform.subscribeAsync('shanshui/v1/dev-1/up/#', { qos: 1 });
  await vi.waitFor(
    async () => {
      await platform.publishAsync('shanshui/v1/dev-1/down/config', 'c1', { qos: 1 });
      expect(downlinks.length).toBeGreaterThan(0);
    },
    { timeout: 30_000, interval: 200 },
  );
  await platform.publishAsync('shanshui/v1/dev-1/down/command', 'k1', { qos: 1 });
  await vi.waitFor(() => expect(downlinks.map(([kind]) => kind)).toContain('command'), { timeout: 30_000 });
  expect(new Set(downlinks.map(([kind]) => kind))).toEqual(new Set(['config', 'command']));

  const acked = await new Promise<Error | undefined>((resolve) => c.publish('shanshui/v1/dev-1/up/readings', 'r1', resolve));
  expect(acked).toBeUndefined();
  await vi.waitFor(() => expect(up).toContain('r1'), { timeout: 30_000 });

  await c.stop();
  await vi.waitFor(() => expect(up).toContain('{"online":false}'), { timeout: 30_000 });
  expect(c.stats().state).toBe('stopped');
});

test('no broker: attempts fail and are retried with the backoff; each drop is reported once', async () => {
  let downs = 0;
  const c = connection(`mqtt://127.0.0.1:${await freePort()}`, { onDown: () => downs++ });
  c.start();
  await vi.waitFor(() => expect(c.stats().failedAttempts).toBeGreaterThanOrEqual(3), { timeout: 30_000, interval: 20 });
  expect(c.stats()).toMatchObject({ connects: 0, disconnects: 0 });
  expect(downs).toBeGreaterThanOrEqual(3);
});

test('a profile change that touches the connection reconnects at once; other changes do not', async () => {
  const url = await startTestBroker(tempDir());
  const c = connection(url);
  c.start();
  await vi.waitFor(() => expect(c.stats().connects).toBe(1), { timeout: 30_000 });
  c.setProfile({ ...PROFILE, batchIntervalSec: 5 });
  expect(c.connected).toBe(true);
  c.setProfile({ ...PROFILE, keepaliveSec: 30 });
  expect(c.connected).toBe(false);
  await vi.waitFor(() => expect(c.stats()).toMatchObject({ connects: 2, disconnects: 1, state: 'connected' }), { timeout: 30_000 });
});

test('a late acknowledgement of a dropped connection never reaches the owner', async () => {
  const url = await startTestBroker(tempDir());
  const c = connection(url);
  c.start();
  await vi.waitFor(() => expect(c.connected).toBe(true), { timeout: 30_000 });
  const calls: Array<Error | undefined> = [];
  expect(c.publish('shanshui/v1/dev-1/up/readings', 'r', (err) => calls.push(err))).toBe(true);
  c.reconnectLater();
  await vi.waitFor(() => expect(c.stats().connects).toBe(2), { timeout: 30_000 });
  expect(calls).toEqual([]);
});
