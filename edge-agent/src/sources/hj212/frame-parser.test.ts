import { test } from 'vitest';
import assert from 'node:assert/strict';
import { Hj212FrameParser } from './frame-parser.ts';
import type { Hj212Frame, Hj212FrameEvent } from './frame-parser.ts';
import { encodeHj212Frame } from './frame-encoder.ts';
import { hj212CrcHex } from './crc.ts';
import { VERIFIED_PACKETS } from './verified-packets.fixture.ts';

const frames = (events: Hj212FrameEvent[]): Hj212Frame[] => events.filter((e): e is Hj212Frame => e.kind === 'frame');
const codes = (events: Hj212FrameEvent[]): string[] => events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.code : ''));
const dataOf = (frame: string): string => frame.slice(6, -6);

test('HJ 212 §1.1 each verified packet of §1.3 parses as one frame with its declared length', () => {
  for (const packet of VERIFIED_PACKETS) {
    const events = new Hj212FrameParser().push(packet);
    assert.equal(events.length, 1);
    const [frame] = frames(events);
    assert.ok(frame);
    assert.equal(frame.data, dataOf(packet));
    assert.equal(frame.declaredLength, Number(packet.slice(2, 6)));
    assert.equal(frame.dataLength, Buffer.byteLength(frame.data));
    assert.equal(frame.lengthMismatch, false);
    assert.equal(frame.oversize, false);
    assert.equal(frame.raw.toString(), packet);
  }
});

test('HJ 212 §1.1 frame encoder reproduces the verified packets byte for byte', () => {
  for (const packet of VERIFIED_PACKETS) assert.equal(encodeHj212Frame(dataOf(packet)), packet);
});

test('HJ 212 §1.1 multiple frames in one chunk come out in order', () => {
  const events = new Hj212FrameParser().push(VERIFIED_PACKETS.join(''));
  assert.deepEqual(frames(events).map((f) => f.data), VERIFIED_PACKETS.map(dataOf));
  assert.deepEqual(codes(events), []);
});

test('HJ 212 §1.1 one frame split over many chunks (byte by byte) completes once', () => {
  const parser = new Hj212FrameParser();
  const bytes = Buffer.from(VERIFIED_PACKETS[3] ?? '');
  const all: Hj212FrameEvent[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const events = parser.push(bytes.subarray(i, i + 1));
    if (i < bytes.length - 1) assert.deepEqual(events, [], `no event before the last byte (at ${i})`);
    all.push(...events);
  }
  assert.equal(frames(all).length, 1);
  assert.equal(parser.pendingBytes, 0);
});

test('HJ 212 §1.1 garbage before, between and after frames is skipped and reported', () => {
  const parser = new Hj212FrameParser();
  const input = `noise\x00\xff#${VERIFIED_PACKETS[0]}junk#${VERIFIED_PACKETS[1]}tail`;
  const events = parser.push(input);
  assert.equal(frames(events).length, 2);
  const garbage = events.filter((e) => e.kind === 'error' && e.code === 'EDGE_ERR_HJ212_GARBAGE');
  assert.equal(garbage.length, 3);
  // Order is kept: garbage, frame, garbage, frame, garbage.
  assert.deepEqual(events.map((e) => e.kind), ['error', 'frame', 'error', 'frame', 'error']);
  assert.equal(parser.pendingBytes, 0);
});

test('HJ 212 §1.1 a trailing "#" is kept as the possible start of the next header', () => {
  const parser = new Hj212FrameParser();
  const packet = VERIFIED_PACKETS[1] ?? '';
  parser.push(`xx#`);
  assert.equal(parser.pendingBytes, 1);
  const events = parser.push(packet.slice(1));
  assert.equal(frames(events).length, 1);
});

test('HJ 212 §1.2 bad CRC is reported with the data segment and the stream continues', () => {
  const good = VERIFIED_PACKETS[0] ?? '';
  const bad = good.replace('1C80\r\n', '1C81\r\n');
  const events = new Hj212FrameParser().push(bad + good);
  assert.deepEqual(codes(events), ['EDGE_ERR_HJ212_BAD_CRC']);
  const error = events[0];
  assert.ok(error?.kind === 'error');
  assert.equal(error.data, dataOf(good));
  assert.equal(frames(events).length, 1);
});

test('HJ 212 §1.1 CRC is compared case-insensitively', () => {
  const data = 'QN=20240101000000000;ST=22;CN=2011;PW=123456;MN=ABC;Flag=4;CP=&&DataTime=20240101000000;a34004-Rtd=12&&';
  const crc = hj212CrcHex(data);
  assert.match(crc, /[A-F]/, 'this vector must contain a hex letter');
  const frame = `##${String(data.length).padStart(4, '0')}${data}${crc.toLowerCase()}\r\n`;
  assert.equal(frames(new Hj212FrameParser().push(frame)).length, 1);
});

test('HJ 212 §1.1 lenient mode accepts a 3-digit length; strict mode refuses it', () => {
  const data = dataOf(VERIFIED_PACKETS[0] ?? '');
  const frame = `##${data.length}${data}${hj212CrcHex(data)}\r\n`;
  assert.equal(String(data.length).length, 3);
  const lenient = new Hj212FrameParser().push(frame);
  assert.equal(frames(lenient)[0]?.lengthDigits, 3);
  const strict = new Hj212FrameParser({ lenient: false }).push(frame);
  assert.equal(frames(strict).length, 0);
  assert.ok(codes(strict).includes('EDGE_ERR_HJ212_BAD_LENGTH'));
});

test('HJ 212 §1.1 lenient mode accepts a wrong declared length when the CRC before \\r\\n checks out', () => {
  const data = dataOf(VERIFIED_PACKETS[2] ?? '');
  for (const declared of [data.length + 7, data.length - 5, 9999]) {
    const frame = `##${String(declared).padStart(4, '0')}${data}${hj212CrcHex(data)}\r\n`;
    const events = new Hj212FrameParser().push(frame);
    const [f] = frames(events);
    assert.ok(f, `declared ${declared}`);
    assert.equal(f.lengthMismatch, true);
    assert.equal(f.data, data);
    assert.equal(f.declaredLength, declared);
  }
});

test('HJ 212 §1.1 strict mode rejects a wrong declared length and recovers at the next frame', () => {
  const data = dataOf(VERIFIED_PACKETS[2] ?? '');
  const wrong = `##${String(data.length - 5).padStart(4, '0')}${data}${hj212CrcHex(data)}\r\n`;
  const events = new Hj212FrameParser({ lenient: false }).push(wrong + VERIFIED_PACKETS[1]);
  assert.equal(frames(events).length, 1);
  assert.equal(frames(events)[0]?.data, dataOf(VERIFIED_PACKETS[1] ?? ''));
  assert.ok(codes(events).includes('EDGE_ERR_HJ212_BAD_LENGTH'));
});

test('HJ 212 §1.1 data segments up to 9999 bytes are accepted and flagged oversize above 1024', () => {
  const cp = 'x'.repeat(3000);
  const frame = encodeHj212Frame(`QN=1;ST=22;CN=2011;PW=1;MN=M;Flag=4;CP=&&Note=${cp}&&`);
  const [f] = frames(new Hj212FrameParser().push(frame));
  assert.ok(f);
  assert.equal(f.oversize, true);
  const small = frames(new Hj212FrameParser().push(VERIFIED_PACKETS[3] ?? ''))[0];
  assert.equal(small?.oversize, false);
});

test('HJ 212 §1.1 a length above maxDataLength is refused', () => {
  const events = new Hj212FrameParser({ maxDataLength: 1024 }).push(`##2000QN=…`);
  assert.deepEqual(codes(events), ['EDGE_ERR_HJ212_BAD_LENGTH']);
});

test('HJ 212 §1.1 a truncated frame waits for more bytes, then completes', () => {
  const parser = new Hj212FrameParser();
  const packet = VERIFIED_PACKETS[3] ?? '';
  assert.deepEqual(parser.push(packet.slice(0, 100)), []);
  assert.equal(parser.pendingBytes, 100);
  assert.equal(frames(parser.push(packet.slice(100))).length, 1);
});

test('HJ 212 §1.1 a frame cut short by a new frame is reported truncated and the new frame is kept', () => {
  const cut = (VERIFIED_PACKETS[3] ?? '').slice(0, 120);
  const parser = new Hj212FrameParser();
  const events = parser.push(cut + VERIFIED_PACKETS[0]);
  assert.deepEqual(codes(events), ['EDGE_ERR_HJ212_TRUNCATED']);
  assert.equal(frames(events)[0]?.data, dataOf(VERIFIED_PACKETS[0] ?? ''));
  assert.equal(parser.pendingBytes, 0);
  // The same when the cut frame arrives in one chunk and the next frame in another.
  const p2 = new Hj212FrameParser();
  assert.deepEqual(p2.push(cut), []);
  const later = p2.push(VERIFIED_PACKETS[0] ?? '');
  assert.deepEqual(codes(later), ['EDGE_ERR_HJ212_TRUNCATED']);
  assert.equal(frames(later).length, 1);
});

test('HJ 212 §1.1 end() reports a pending partial frame as truncated', () => {
  const parser = new Hj212FrameParser();
  parser.push((VERIFIED_PACKETS[3] ?? '').slice(0, 50));
  assert.deepEqual(codes(parser.end()), ['EDGE_ERR_HJ212_TRUNCATED']);
  assert.equal(parser.pendingBytes, 0);
  assert.deepEqual(parser.end(), []);
});

test('HJ 212 §1.1 memory stays bounded for a frame that never completes', () => {
  const parser = new Hj212FrameParser({ maxBufferBytes: 4096 });
  parser.push('##9999QN=');
  let overflow = 0;
  for (let i = 0; i < 200; i++) {
    const events = parser.push(Buffer.alloc(100, 0x41));
    overflow += events.filter((e) => e.kind === 'error' && e.code === 'EDGE_ERR_HJ212_OVERFLOW').length;
    assert.ok(parser.pendingBytes <= 4096 + 100, `pending ${parser.pendingBytes}`);
  }
  assert.equal(overflow, 1);
  // With the default cap the longest possible frame (2+4+9999+6) still fits: bounded by construction.
  const unbounded = new Hj212FrameParser();
  unbounded.push('##9999');
  for (let i = 0; i < 300; i++) unbounded.push(Buffer.alloc(100, 0x41));
  assert.ok(unbounded.pendingBytes < 16384);
});

test('HJ 212 §1.1 random bytes never throw and a following valid frame is still found', () => {
  let seed = 212;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  };
  const parser = new Hj212FrameParser();
  for (let round = 0; round < 200; round++) {
    const chunk = Buffer.alloc(1 + (random() % 200));
    for (let i = 0; i < chunk.length; i++) chunk[i] = round % 3 === 0 && i % 7 === 0 ? 0x23 : random();
    assert.doesNotThrow(() => parser.push(chunk));
  }
  const events = parser.push(`\r\n${VERIFIED_PACKETS[2]}`);
  assert.equal(frames(events).at(-1)?.data, dataOf(VERIFIED_PACKETS[2] ?? ''));
});

test('HJ 212 §1.1 a slow drip of a pending frame full of header and \\r\\n candidates stays fast', () => {
  const parser = new Hj212FrameParser();
  parser.push('##9999QN=');
  const started = performance.now();
  const pattern = Buffer.from('##0050ABCD\r\n');
  for (let i = 0; i < 9000; i++) parser.push(pattern.subarray(i % pattern.length, (i % pattern.length) + 1));
  assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
});
