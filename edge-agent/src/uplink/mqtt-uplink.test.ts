/**
 * MqttUplink against a real broker (Debian's Mosquitto on a free port, test-broker.fixture.ts): what
 * leaves the buffer in which order, and that rows leave only on PUBACK.
 */
import { test, expect, onTestFinished, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { ReadingBuffer } from '../buffer/reading-buffer.ts';
import { MqttUplink } from './mqtt-uplink.ts';
import { freePort } from '../free-port.fixture.ts';
import { startTestBroker } from './test-broker.fixture.ts';

const PROFILE = { profile: '5g' as const, batchIntervalSec: 60, maxPayloadBytes: 1024, keepaliveSec: 60 };

test('after an outage: the event first, then the whole backlog in order with increasing seq; each row leaves the buffer on its PUBACK', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-uplink-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const url = await startTestBroker(dir);
  const buffer = new ReadingBuffer({ file: path.join(dir, 'buffer.db') });
  onTestFinished(() => buffer.close());
  const N = 2000;
  buffer.append(Array.from({ length: N }, (_, i) => ({ priority: 'routine' as const, kind: 'readings' as const, body: JSON.stringify({ ts: 1_700_000_000_000 + i, values: { pm25: i } }) })));
  buffer.append([{ priority: 'urgent', kind: 'events', body: JSON.stringify({ type: 'alarm', level: 'red' }) }]);

  const watcher = await mqtt.connectAsync(url, { clientId: 'watcher', reconnectPeriod: 0 });
  onTestFinished(() => watcher.endAsync(true));
  const received: Array<{ kind: string; seq?: number; ts?: number[] }> = [];
  watcher.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as { seq?: number; readings?: Array<{ ts: number }>; ts?: number };
    received.push({ kind: topic.split('/').pop()!, ...(body.seq !== undefined ? { seq: body.seq } : {}), ...(body.readings ? { ts: body.readings.map((r) => r.ts) } : body.ts !== undefined ? { ts: [body.ts] } : {}) });
  });
  await watcher.subscribeAsync('shanshui/v1/dev-1/up/+', { qos: 1 });

  const uplink = new MqttUplink({ deviceId: 'dev-1', password: 'x', url, buffer, profile: PROFILE, maxReadingsPerMessage: 100, maxInflight: 4, onDownlink: () => undefined, reconnectMinMs: 50, reconnectMaxMs: 200 });
  uplink.start();
  onTestFinished(() => uplink.stop());
  await vi.waitFor(() => expect(buffer.stats().depth).toBe(0), { timeout: 30_000, interval: 50 });
  await vi.waitFor(() => expect(received.filter((m) => m.kind === 'readings').flatMap((m) => m.ts ?? [])).toHaveLength(N), { timeout: 10_000, interval: 50 });

  const publishes = received.filter((m) => m.kind !== 'status');
  expect(publishes[0]!.kind).toBe('events');
  const readings = publishes.filter((m) => m.kind === 'readings');
  expect(readings.flatMap((m) => m.ts)).toEqual(Array.from({ length: N }, (_, i) => 1_700_000_000_000 + i));
  expect(readings.map((m) => m.seq)).toEqual(readings.map((_, i) => i + 1));
  const stats = uplink.stats();
  expect(stats).toMatchObject({ state: 'connected', readingsAcked: N, eventsAcked: 1, inflight: 0, backlogPending: false });
  expect(stats.messagesAcked).toBe(N / 100 + 1);
});

test('no broker: nothing leaves the buffer; a cap (drainRatePerSec) is accepted and changes nothing of that', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-uplink-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const buffer = new ReadingBuffer({ file: path.join(dir, 'buffer.db') });
  onTestFinished(() => buffer.close());
  buffer.append([{ priority: 'routine', kind: 'readings', body: JSON.stringify({ ts: 1, values: { pm25: 1 } }) }]);
  const uplink = new MqttUplink({ deviceId: 'dev-2', password: 'x', url: `mqtt://127.0.0.1:${await freePort()}`, buffer, profile: { ...PROFILE, drainRatePerSec: 5 }, onDownlink: () => undefined, reconnectMinMs: 20, reconnectMaxMs: 50 });
  uplink.start();
  onTestFinished(() => uplink.stop());
  await vi.waitFor(() => expect(uplink.stats().failedAttempts).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
  expect(buffer.stats().depth).toBe(1);
  expect(uplink.stats().messagesSent).toBe(0);
});
