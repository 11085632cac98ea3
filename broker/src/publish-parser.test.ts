/**
 * parsePublishesInPlace against mqtt-packet itself: the same bytes, split the same way, must
 * give the same packets (class, fields, field order, payload bytes) and the same errors, in the
 * same order — well-formed streams, malformed packets and packets over the size limit alike.
 */
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import mqttPacket from 'mqtt-packet';
import { seededRandom } from '@shanshui/models/testing';
import type { Packet } from 'mqtt-packet';
import { guardPacketSize } from './aedes-patches.ts';
import type { ParserInternals } from './aedes-patches.ts';
import { MQTT_PACKET_CHECKED_VERSION, parsePublishesInPlace } from './publish-parser.ts';

function packageJson(url: URL): Record<string, unknown> {
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

test('mqtt-packet is pinned exactly, at the version the in-place read was checked against', () => {
  const broker = packageJson(new URL('../package.json', import.meta.url));
  const installed = packageJson(new URL('../../node_modules/mqtt-packet/package.json', import.meta.url));
  const message = `mqtt-packet moved: re-check broker/src/publish-parser.ts against it, then update MQTT_PACKET_CHECKED_VERSION (${MQTT_PACKET_CHECKED_VERSION})`;
  expect((broker['dependencies'] as Record<string, string>)['mqtt-packet'], message).toBe(MQTT_PACKET_CHECKED_VERSION);
  expect(installed['version'], message).toBe(MQTT_PACKET_CHECKED_VERSION);
});

test('parsePublishesInPlace fails loudly when the parser is not what it was checked against', () => {
  expect(() => parsePublishesInPlace({}, 1024)).toThrow(/publish-parser\.ts/);
  expect(() => parsePublishesInPlace({ _parser: { parse: () => 0 } }, 1024)).toThrow(/mqtt-packet internals changed/);
});

/** A topic longer than the packet; a packet id cut off; QoS 3; a Remaining Length of five bytes; a zero-length PUBLISH. */
const MALFORMED = [
  Buffer.from([0x30, 0x04, 0x00, 0x09, 0x61, 0x62]),
  Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61]),
  Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61]),
  Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0x30, 0x00]),
];

const TOPICS = ['shanshui/v1/air-0001/up/readings', 'shanshui/v1/水库-07/up/status', '', 'a', 'x'.repeat(300)];

/** One packet's bytes: mostly well-formed PUBLISHes, some other packets, some malformed ones. */
function somePacket(next: () => number, n: number): Buffer {
  const pick = next();
  const int = (k: number): number => Math.floor(next() * k);
  if (pick < 0.6) {
    const qos = ([0, 1, 1, 1, 2] as const)[int(5)]!;
    const size = [0, 3, 180, 200, 2_000, 130][int(6)]!;
    return mqttPacket.generate({
      cmd: 'publish',
      topic: TOPICS[int(TOPICS.length)]!,
      payload: Buffer.alloc(size, n & 0xff),
      qos,
      ...(qos > 0 ? { messageId: 1 + int(65_535) } : {}),
      retain: next() < 0.2,
      dup: next() < 0.2,
    });
  }
  if (pick < 0.67) return mqttPacket.generate({ cmd: 'pingreq' });
  if (pick < 0.72) return mqttPacket.generate({ cmd: 'puback', messageId: 1 + int(65_535) });
  if (pick < 0.76) return mqttPacket.generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'shanshui/v1/d/down/#', qos: 1 }] });
  if (pick < 0.79) return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `d-${n}`, clean: true, keepalive: 60 });
  return MALFORMED[int(MALFORMED.length)]!;
}

type Event = readonly ['packet', string, readonly string[], Record<string, unknown>] | readonly ['error', string];

/** Feeds the chunks to a parser and records what it emits, in order. */
function run(chunks: readonly Buffer[], inPlaceMaxBytes: number | undefined): Event[] {
  const parser = mqttPacket.parser();
  if (inPlaceMaxBytes !== undefined) parsePublishesInPlace({ _parser: parser }, inPlaceMaxBytes);
  const events: Event[] = [];
  parser.on('packet', (packet: Packet) => {
    const fields: Record<string, unknown> = { ...packet };
    if (Buffer.isBuffer(fields['payload'])) fields['payload'] = (fields['payload'] as Buffer).toString('hex');
    events.push(['packet', packet.constructor.name, Object.keys(packet), fields]);
  });
  parser.on('error', (err: Error) => events.push(['error', err.message]));
  for (const chunk of chunks) parser.parse(chunk);
  return events;
}

test('the same packets and errors as mqtt-packet, over random streams split at random places', () => {
  let publishesTaken = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const next = seededRandom(seed);
    const stream = Buffer.concat(Array.from({ length: 1 + Math.floor(next() * 30) }, (_, n) => somePacket(next, n)));
    // Whole, cut into random pieces, or cut byte by byte.
    const chunks: Buffer[] = [];
    const style = seed % 4;
    for (let at = 0; at < stream.length; ) {
      const size = style === 0 ? stream.length : style === 1 ? 1 : 1 + Math.floor(next() * 600);
      chunks.push(stream.subarray(at, at + size));
      at += size;
    }
    const expected = run(chunks, undefined);
    for (const maxBytes of [1 << 20, 150]) {
      expect(run(chunks, maxBytes), `seed ${seed}, limit ${maxBytes}`).toEqual(expected);
    }
    publishesTaken += expected.filter((e) => e[0] === 'packet' && e[3]['cmd'] === 'publish').length;
  }
  expect(publishesTaken).toBeGreaterThan(1000);
});

test('a malformed PUBLISH after whole ones, or last in a read, goes to mqtt-packet with the same outcome', () => {
  const good = mqttPacket.generate({ cmd: 'publish', topic: 'up', payload: Buffer.from('{}'), qos: 1, messageId: 9, retain: false, dup: false });
  for (const bad of MALFORMED) {
    for (const chunks of [[bad], [good, bad], [Buffer.concat([good, bad])], [Buffer.concat([good, bad, good])], [Buffer.concat([good, bad]), good]]) {
      expect(run(chunks, 1 << 20), bad.toString('hex')).toEqual(run(chunks, undefined));
    }
  }
});

test('whole PUBLISHes of a read are taken in place; mqtt-packet finishes a cut one, and takes what is not a whole PUBLISH', () => {
  const parser = mqttPacket.parser();
  parsePublishesInPlace({ _parser: parser }, 1 << 20);
  const internals = parser as unknown as { _newPacket: () => boolean };
  const newPacket = internals._newPacket;
  let byMqttPacket = 0;
  internals._newPacket = function counted(this: unknown) {
    byMqttPacket++;
    return newPacket.call(this);
  };
  const topics: string[] = [];
  parser.on('packet', (p: Packet) => topics.push(p.cmd === 'publish' ? p.topic : p.cmd));
  const publish = (topic: string): Buffer => mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, messageId: 1, retain: false, dup: false });
  const stream = Buffer.concat([publish('a'), publish('b'), publish('c'), publish('d'), mqttPacket.generate({ cmd: 'pingreq' }), publish('e')]);
  const cut = publish('a').length * 2 + 3; // in the third PUBLISH's body
  parser.parse(stream.subarray(0, cut));
  expect([topics, byMqttPacket]).toEqual([['a', 'b'], 0]);
  // c is finished by mqtt-packet, d is read in place, and from the PINGREQ on mqtt-packet has the read.
  parser.parse(stream.subarray(cut));
  expect([topics, byMqttPacket]).toEqual([['a', 'b', 'c', 'd', 'pingreq', 'e'], 3]);
  parser.parse(publish('f'));
  expect([topics, byMqttPacket]).toEqual([['a', 'b', 'c', 'd', 'pingreq', 'e', 'f'], 3]);
});

test('a PUBLISH over the size limit is left to mqtt-packet, so guardPacketSize still refuses it', () => {
  const parser = mqttPacket.parser();
  const client = { _parser: parser as unknown as ParserInternals['_parser'] };
  const refused: number[] = [];
  guardPacketSize(client, 100, () => refused.push(1));
  parsePublishesInPlace(client, 100);
  const topics: string[] = [];
  parser.on('packet', (p: Packet) => topics.push(p.cmd === 'publish' ? p.topic : p.cmd));
  const publish = (topic: string, size: number): Buffer => mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.alloc(size), qos: 1, messageId: 1, retain: false, dup: false });
  parser.parse(Buffer.concat([publish('small', 50), publish('large', 500), publish('after', 50)]));
  expect([topics, refused.length]).toEqual([['small'], 1]);
});
