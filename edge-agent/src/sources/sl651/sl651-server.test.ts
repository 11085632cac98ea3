import { test, beforeAll, afterAll, expect } from 'vitest';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sl651Server } from './sl651-server.ts';
import type { Sl651ReadingsContext, Sl651ServerOptions } from './sl651-server.ts';
import { ESC, EOT, ETB, ETX, NAK, Sl651FrameParser } from './frame-parser.ts';
import type { Sl651Frame } from './frame-parser.ts';
import { encodeSl651Frame, encodeSl651KeepAlive, encodeSl651Report, encodeSl651ReportBody } from './encode.ts';
import type { Sl651ReportInput } from './encode.ts';
import { Sl651Error } from './errors.ts';
import type { SourceReading } from '../source-reading.ts';
import { DialInClient } from '../dial-in/dial-in-client.fixture.ts';

const KEEP_ALIVE = Buffer.from('7E7E01001234567812342F0008020003591011155111036BCA', 'hex');

/** A telemetry station: a real TCP client that decodes the centre's replies with the same parser. */
type Station = DialInClient<Sl651Frame>;

async function connectStation(port: number): Promise<Station> {
  const parser = new Sl651FrameParser();
  return DialInClient.connect(port, (chunk) =>
    parser.push(chunk).map((event) => {
      assert.equal(event.kind, 'frame', 'the centre only sends valid frames');
      if (event.kind !== 'frame') throw new Error('not a frame');
      return event;
    }),
  );
}

const received: Array<{ readings: SourceReading[]; context: Sl651ReadingsContext }> = [];
let failNext = false;
let server: Sl651Server;
let port: number;

const baseOptions: Sl651ServerOptions = {
  onReadings(readings, context) {
    if (failNext) {
      failNext = false;
      return Promise.reject(new Error('downstream unavailable'));
    }
    received.push({ readings, context });
    return undefined;
  },
  stations: {
    '00000000aa': { password: 'BEEF' },
    '0000000077': { ackEndChar: ESC },
  },
};

beforeAll(async () => {
  server = new Sl651Server(baseOptions);
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server.close();
});

const OBSERVED = new Date('2024-06-01T00:00:00Z');
const reportInput = (serial: number, overrides: Partial<Sl651ReportInput> = {}): Sl651ReportInput => ({
  centre: 1,
  station: '0012345678',
  password: '1234',
  functionCode: 0x32,
  serial,
  sentAt: new Date('2024-06-01T00:00:30Z'),
  stationClass: 0x4b,
  groups: [{ observedAt: OBSERVED, elements: [{ key: '3B', value: 101.25 }, { key: '1A', value: 2.5 }, { key: '38', value: 12.6 }] }],
  ...overrides,
});

test('SL 651 §2.3 a timed report (32) becomes a reading and is acknowledged: downlink, serial echoed, EOT', async () => {
  received.length = 0;
  const station = await connectStation(port);
  station.send(encodeSl651Report(reportInput(0x0102)));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.deepEqual(received[0]?.readings, [
    {
      source: '0012345678',
      ts: OBSERVED,
      kind: 'timed',
      values: { water_level: { value: 101.25, quality: 'ok' }, rainfall: { value: 2.5, quality: 'ok' }, supply_voltage: { value: 12.6, quality: 'ok' } },
    },
  ]);
  assert.deepEqual({ ...received[0]?.context, remoteAddress: '' }, { protocol: 'sl651', station: '0012345678', functionCode: 0x32, serial: 0x0102, remoteAddress: '' });
  const ack = station.replies[0];
  assert.equal(ack?.direction, 'down');
  assert.equal(ack?.station, '0012345678');
  assert.equal(ack?.centre, 1);
  assert.equal(ack?.password, '1234');
  assert.equal(ack?.functionCode, 0x32);
  assert.equal(ack?.endChar, EOT);
  assert.equal(ack?.body.length, 8);
  assert.equal(ack?.body.readUInt16BE(0), 0x0102);
  await station.close();
});

test('SL 651 §2.3 added (33) and hourly (34) reports are acknowledged with their own function code', async () => {
  received.length = 0;
  const station = await connectStation(port);
  station.send(encodeSl651Report(reportInput(1, { functionCode: 0x33 })));
  station.send(encodeSl651Report(reportInput(2, { functionCode: 0x34, groups: [{ observedAt: new Date('2024-06-01T00:05:00Z'), elements: [{ key: 'F4', values: Array(12).fill(0.2) }] }] })));
  await expect.poll(() => station.replies.length === 2, { timeout: 2000 }).toBe(true);
  assert.deepEqual(station.replies.map((r) => [r.functionCode, r.body.readUInt16BE(0)]), [[0x33, 1], [0x34, 2]]);
  assert.equal(received[0]?.readings[0]?.kind, 'added');
  assert.equal(received[1]?.readings.length, 12);
  assert.equal(received[1]?.readings[0]?.kind, '5min');
  await station.close();
});

test('SL 651 §2.1 the verified keep-alive is counted and not answered by default', async () => {
  const station = await connectStation(port);
  const before = server.stats().keepAlives;
  station.send(KEEP_ALIVE);
  station.send(encodeSl651Report(reportInput(3)));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies[0]?.functionCode, 0x32, 'only the report was answered');
  assert.equal(server.stats().keepAlives, before + 1);
  await station.close();
});

test('SL 651 §2.1 keep-alives are answered when keepAliveReply is set; ackEndChar ESC keeps the link', async () => {
  const own = new Sl651Server({ onReadings() {}, keepAliveReply: true, ackEndChar: ESC });
  const { port: ownPort } = await own.listen(0, '127.0.0.1');
  const station = await connectStation(ownPort);
  station.send(encodeSl651KeepAlive({ centre: 1, station: '0012345678', password: '1234', serial: 9, sentAt: new Date() }));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies[0]?.functionCode, 0x2f);
  assert.equal(station.replies[0]?.endChar, ESC);
  assert.equal(station.replies[0]?.body.readUInt16BE(0), 9);
  await station.close();
  await own.close();
});

test('SL 651 per-station settings: password check drops the frame; ack end char per station', async () => {
  received.length = 0;
  const station = await connectStation(port);
  const before = server.stats().badPassword;
  station.send(encodeSl651Report(reportInput(4, { station: '00000000AA', password: '1234' })));
  station.send(encodeSl651Report(reportInput(5, { station: '00000000AA', password: 'beef' })));
  station.send(encodeSl651Report(reportInput(6, { station: '0000000077' })));
  await expect.poll(() => station.replies.length === 2, { timeout: 2000 }).toBe(true);
  assert.equal(server.stats().badPassword, before + 1);
  assert.deepEqual(station.replies.map((r) => [r.station, r.body.readUInt16BE(0), r.endChar]), [['00000000AA', 5, EOT], ['0000000077', 6, ESC]]);
  assert.equal(received.length, 2);
  await station.close();
});

test('SL 651 §2.1 garbage, several frames in one chunk, one frame over many chunks, bad CRC', async () => {
  received.length = 0;
  const station = await connectStation(port);
  const before = server.stats();
  const bad = encodeSl651Report(reportInput(10));
  bad[bad.length - 1] ^= 0x5a;
  station.send(Buffer.concat([Buffer.from('hello'), encodeSl651Report(reportInput(11)), bad, Buffer.from([0x7e, 0x01]), encodeSl651Report(reportInput(12))]));
  const split = encodeSl651Report(reportInput(13));
  for (let i = 0; i < split.length; i += 5) {
    await sleep(1);
    station.send(split.subarray(i, i + 5));
  }
  await expect.poll(() => station.replies.length === 3, { timeout: 2000 }).toBe(true);
  assert.deepEqual(station.replies.map((r) => r.body.readUInt16BE(0)), [11, 12, 13]);
  const after = server.stats();
  assert.equal(after.badCrc - before.badCrc, 1);
  assert.equal(after.garbage - before.garbage, 2);
  assert.equal(after.garbageBytes - before.garbageBytes, 7);
  assert.equal(received.length, 3);
  await station.close();
});

test('SL 651 §2.1 NAK on bad CRC when enabled', async () => {
  const own = new Sl651Server({ onReadings() {}, nakOnBadCrc: true });
  const { port: ownPort } = await own.listen(0, '127.0.0.1');
  const station = await connectStation(ownPort);
  const bad = encodeSl651Report(reportInput(0x0abc));
  bad[bad.length - 2] ^= 0x01;
  station.send(bad);
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies[0]?.endChar, NAK);
  assert.equal(station.replies[0]?.body.readUInt16BE(0), 0x0abc);
  assert.equal(own.stats().naksSent, 1);
  await station.close();
  await own.close();
});

test('SL 651 §2.1 a SYN multi-packet report is reassembled and acknowledged once, after the last packet', async () => {
  received.length = 0;
  const station = await connectStation(port);
  const body = encodeSl651ReportBody(reportInput(20));
  const cut = 15;
  const part = (seq: number, bytes: Buffer, endChar: number): Buffer =>
    encodeSl651Frame({ direction: 'up', centre: 1, station: '0012345678', password: '1234', functionCode: 0x32, body: bytes, endChar, packet: { total: 2, seq } });
  station.send(part(1, body.subarray(0, cut), ETB));
  await sleep(30);
  assert.equal(station.replies.length, 0);
  station.send(part(2, body.subarray(cut), ETX));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies[0]?.body.readUInt16BE(0), 20);
  assert.equal(received[0]?.readings[0]?.values.water_level?.value, 101.25);
  await station.close();
});

test('SL 651 no ack when onReadings fails, so the station resends', async () => {
  received.length = 0;
  const station = await connectStation(port);
  const before = server.stats().callbackErrors;
  failNext = true;
  station.send(encodeSl651Report(reportInput(30)));
  await expect.poll(() => server.stats().callbackErrors === before + 1, { timeout: 2000 }).toBe(true);
  station.send(encodeSl651Report(reportInput(30)));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(received.length, 1);
  await station.close();
});

test('SL 651 §2.2 an unreadable report body is acknowledged anyway and counted', async () => {
  const station = await connectStation(port);
  const before = server.stats().badReport;
  const body = Buffer.concat([Buffer.from('002a240601080000', 'hex'), Buffer.from('f1f10012', 'hex')]);
  station.send(encodeSl651Frame({ direction: 'up', centre: 1, station: '0012345678', password: '1234', functionCode: 0x32, body, endChar: ETX }));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies[0]?.body.readUInt16BE(0), 0x2a);
  assert.equal(server.stats().badReport, before + 1);
  await station.close();
});

test('SL 651 downlink frames and other functions are ignored; truncated frames at disconnect are counted', async () => {
  const station = await connectStation(port);
  const before = server.stats();
  station.send(encodeSl651Frame({ direction: 'down', centre: 1, station: '0012345678', password: '1234', functionCode: 0x32, body: Buffer.alloc(8), endChar: EOT }));
  station.send(encodeSl651Frame({ direction: 'up', centre: 1, station: '0012345678', password: '1234', functionCode: 0x45, body: Buffer.alloc(8), endChar: ETX }));
  station.send(encodeSl651Report(reportInput(40)).subarray(0, 30));
  await expect.poll(() => server.stats().ignored === before.ignored + 2, { timeout: 2000 }).toBe(true);
  await station.close();
  await expect.poll(() => server.stats().truncated === before.truncated + 1, { timeout: 2000 }).toBe(true);
  assert.equal(station.replies.length, 0);
});

test('SL 651 random bytes never crash the listener; a valid report afterwards still works', async () => {
  let seed = 0x651;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 8) & 0xff;
  };
  const noise = await connectStation(port);
  for (let round = 0; round < 16; round++) {
    const chunk = Buffer.alloc(4096);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 13 === 0 ? 0x7e : random();
    noise.send(chunk);
  }
  await sleep(50);
  await noise.close();
  const station = await connectStation(port);
  station.send(encodeSl651Report(reportInput(50)));
  await expect.poll(() => station.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(server.stats().internalErrors, 0);
  await station.close();
});

test('SL 651 listener options are validated at construction and name the key', () => {
  assert.throws(
    () => new Sl651Server({} as unknown as Sl651ServerOptions),
    (err: unknown) => err instanceof Sl651Error && err.code === 'EDGE_ERR_SL651_OPTIONS_INVALID' && /onReadings/.test(err.message),
  );
  assert.throws(() => new Sl651Server({ ...baseOptions, ackEndChar: 0x41 }), /ackEndChar/);
  assert.throws(() => new Sl651Server({ ...baseOptions, stations: { X: { password: 'nothex' } } }), /stations\.X\.password/);
  assert.throws(() => new Sl651Server({ ...baseOptions, bogus: true } as unknown as Sl651ServerOptions), /bogus/);
});

test('SL 651 listener close() ends open connections; idle connections are closed', async () => {
  const own = new Sl651Server({ onReadings() {}, idleTimeoutMs: 50 });
  const { port: ownPort } = await own.listen(0, '127.0.0.1');
  const idle = await connectStation(ownPort);
  await expect.poll(() => idle.closed, { timeout: 2000 }).toBe(true);
  assert.equal(own.stats().idleClosed, 1);
  const open = await connectStation(ownPort);
  await expect.poll(() => own.stats().connections === 1, { timeout: 2000 }).toBe(true);
  await own.close();
  await expect.poll(() => open.closed, { timeout: 2000 }).toBe(true);
});
