/**
 * The broker reads a whole PUBLISH in place and leaves a cut one to mqtt-packet
 * (broker/src/publish-parser.ts). Over a real TCP connection, a device's stream written in pieces
 * cut anywhere — inside a header, a topic, a packet id, a payload — is acknowledged packet by
 * packet, in order, and every reading is in InfluxDB.
 */
import { afterAll, beforeAll, test } from 'vitest';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '@shanshui/models/testing';
import { startTestPlatform, eventuallyEqual } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { connectPacket, publishQos1Packet } from '../support/raw-mqtt.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ maxMessagesPerSec: 10_000, maxMessagesBurst: 10_000 });
});
afterAll(async () => {
  await tp?.close();
});

/** The PUBACKs' packet ids in the broker's byte stream, in order, and how many PINGRESPs came (those go at once; a PUBACK waits for the spool). */
function acknowledgements(stream: Buffer): { pubacks: number[]; pingresps: number } {
  const out = { pubacks: [] as number[], pingresps: 0 };
  for (let at = 0; at + 1 < stream.length; ) {
    const type = stream[at]! >> 4;
    const length = stream[at + 1]!;
    if (type === 4 && at + 4 <= stream.length) out.pubacks.push(stream.readUInt16BE(at + 2));
    if (type === 13) out.pingresps++;
    at += 2 + length;
  }
  return out;
}

test('a stream of publishes cut at random places is acknowledged in order, and every reading is stored', async () => {
  const cred = await tp.register({ id: 'frag-1', domain: 'air' });
  const next = seededRandom(16);
  const baseTs = Date.now() - 600_000;
  const count = 300;
  const packets: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    // Payloads under and over 127 bytes (one- and two-byte Remaining Lengths): JSON padded with whitespace.
    const payload = `{${' '.repeat(Math.floor(next() * 200))}${JSON.stringify({ seq: i, ts: baseTs + i * 1000, values: { pm25: i, pm10: i + 0.5 } }).slice(1)}`;
    packets.push(publishQos1Packet('shanshui/v1/frag-1/up/readings', payload, i));
    if (i % 50 === 0) packets.push(Buffer.from([0xc0, 0x00])); // PINGREQ among them
  }
  const stream = Buffer.concat(packets);

  const socket = net.connect(tp.platform.mqttPort, '127.0.0.1');
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  socket.on('data', (c: Buffer) => received.push(c));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(connectPacket('frag-1', cred.username, cred.password));
  await eventuallyEqual(() => Buffer.concat(received).subarray(0, 4).toString('hex'), '20020000', 'CONNACK, accepted');
  received.length = 0;
  // Pieces of 1 to 300 bytes, each its own write with a pause now and then, so the broker reads them apart.
  for (let at = 0; at < stream.length; ) {
    const size = 1 + Math.floor(next() * 300);
    socket.write(stream.subarray(at, at + size));
    at += size;
    if (next() < 0.3) await sleep(1);
  }
  const expected = { pubacks: Array.from({ length: count }, (_, k) => k + 1), pingresps: count / 50 };
  await eventuallyEqual(() => acknowledgements(Buffer.concat(received)), expected, 'a PUBACK per publish, in publish order, and a PINGRESP per PINGREQ');
  socket.destroy();

  await eventuallyEqual(
    async () => (await tp.query(`SELECT pm25, pm10 FROM air WHERE station = 'frag-1'`)).map((r) => [r['time'], r['pm25'], r['pm10']]),
    Array.from({ length: count }, (_, k) => [baseTs + (k + 1) * 1000, k + 1, k + 1.5]),
    'every reading in InfluxDB',
  );
});
