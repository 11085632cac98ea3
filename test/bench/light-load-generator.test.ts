/**
 * The light load generator (light-load-generator.ts) against a real broker (Mosquitto): its
 * hand-encoded QoS 1 PUBLISHes are well-formed MQTT 3.1.1 and 5 (the broker delivers them to
 * an mqtt.js subscriber, payloads intact, in order per device) and the PUBACKs it counts are
 * the broker's.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto } from '../support/mosquitto.ts';
import type { Mosquitto } from '../support/mosquitto.ts';
import { PacketReader } from './light-mqtt-packets.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';

describe('light load generator', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  for (const level of [4, 5] as const) {
    test(`MQTT ${level === 4 ? '3.1.1' : '5'}: every publish reaches a subscriber and is PUBACKed by the broker`, async () => {
      const devicesN = 3;
      const messagesPerDevice = 40;
      const readingsPerMessage = level === 4 ? 1 : 3;
      const subscriber = await mqtt.connectAsync(broker.url, { clientId: `sub-${level}`, reconnectPeriod: 0 });
      const seen = new Map<string, number[]>();
      let received = 0;
      subscriber.on('message', (topic, payload) => {
        const id = topic.split('/')[2]!;
        const body = JSON.parse(payload.toString()) as { seq: number; ts?: number; values?: Record<string, number>; readings?: Array<{ ts: number; values: Record<string, number> }> };
        const readings = body.readings ?? [{ ts: body.ts!, values: body.values! }];
        expect(readings).toHaveLength(readingsPerMessage);
        for (const r of readings) expect(Object.keys(r.values).sort()).toEqual(['co', 'no2', 'o3', 'pm10', 'pm25', 'so2']);
        seen.set(id, [...(seen.get(id) ?? []), body.seq]);
        received++;
      });
      await subscriber.subscribeAsync(`shanshui/v1/+/up/readings`, { qos: 1 });
      const gen = await LoadGeneratorProcess.start(`light-${level}`, devicesN, 'light');
      try {
        const devices = Array.from({ length: devicesN }, (_, i) => ({ id: `light${level}-${i}`, password: '', index: i }));
        const c = await gen.connect({ url: broker.url, devices, keepaliveSec: 30, subscribeDown: level === 5, concurrency: 2, protocolVersion: level });
        expect(c).toMatchObject({ ok: devicesN, failed: 0 });
        const r = await gen.publish({ messagesPerDevice, readingsPerMessage, window: 8, tsBase: Date.now() - 3_600_000, readingOffset: 0, seqStart: 1, maxSeconds: 60 });
        expect(r).toMatchObject({ messages: devicesN * messagesPerDevice, readings: devicesN * messagesPerDevice * readingsPerMessage, errors: 0, capped: false });
        expect(r.ackMsP99).toBeGreaterThan(0);
        await expect.poll(() => received, { timeout: 30_000 }).toBe(devicesN * messagesPerDevice);
        for (const d of devices) expect(seen.get(d.id)).toEqual(Array.from({ length: messagesPerDevice }, (_, i) => i + 1));
      } finally {
        await gen.close();
        await subscriber.endAsync();
      }
    });
  }

  test('a packet cut anywhere between socket reads is read whole', () => {
    const got: Array<[number, string]> = [];
    const reader = new PacketReader((first, bytes, start, end) => got.push([first, bytes.subarray(start, end).toString('hex')]));
    const stream = Buffer.concat([Buffer.from([0x40, 0x02, 0x00, 0x07]), Buffer.from([0x30, 0x81, 0x01]), Buffer.alloc(129, 0xab), Buffer.from([0xd0, 0x00])]);
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(got).toEqual([
      [0x40, '0007'],
      [0x30, 'ab'.repeat(129)],
      [0xd0, ''],
    ]);
  });
});
