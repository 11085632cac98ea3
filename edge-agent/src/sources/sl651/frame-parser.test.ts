import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ACK, ESC, ETB, ETX, EOT, SYN, Sl651FrameParser } from './frame-parser.ts';
import type { Sl651Frame, Sl651FrameEvent } from './frame-parser.ts';
import { encodeSl651Ack, encodeSl651Frame, encodeSl651KeepAlive } from './encode.ts';
import { sl651Crc } from './crc.ts';

const KEEP_ALIVE = Buffer.from('7E7E01001234567812342F0008020003591011155111036BCA', 'hex');
const frames = (events: Sl651FrameEvent[]): Sl651Frame[] => events.filter((e): e is Sl651Frame => e.kind === 'frame');
const codes = (events: Sl651FrameEvent[]): string[] => events.flatMap((e) => (e.kind === 'error' ? [e.code] : []));

const report = (serial: number, station = '0012345678'): Buffer =>
  encodeSl651Frame({ direction: 'up', centre: 1, station, password: '1234', functionCode: 0x32, body: Buffer.from([serial >> 8, serial & 0xff, 0x24, 0x06, 0x01, 0x12, 0x00, 0x00, 0x39, 0x23, 0x00, 0x12, 0x34, 0x56]), endChar: ETX });

test('SL 651 §2.1 the verified keep-alive frame parses field by field', () => {
  const [frame, ...rest] = new Sl651FrameParser().push(KEEP_ALIVE);
  assert.deepEqual(rest, []);
  assert.ok(frame?.kind === 'frame');
  assert.equal(frame.direction, 'up');
  assert.equal(frame.centre, 0x01);
  assert.equal(frame.station, '0012345678');
  assert.equal(frame.password, '1234');
  assert.equal(frame.functionCode, 0x2f);
  assert.equal(frame.startChar, 0x02);
  assert.equal(frame.body.toString('hex'), '0003591011155111');
  assert.equal(frame.endChar, ETX);
  assert.equal(frame.packet, undefined);
  assert.deepEqual(frame.raw, KEEP_ALIVE);
});

test('SL 651 §2.1 the keep-alive encoder reproduces the verified frame byte for byte', () => {
  const sentAt = new Date(Date.UTC(2059, 9, 11, 15 - 8, 51, 11));
  const encoded = encodeSl651KeepAlive({ centre: 1, station: '0012345678', password: '1234', serial: 3, sentAt });
  assert.equal(encoded.toString('hex').toUpperCase(), KEEP_ALIVE.toString('hex').toUpperCase());
});

test('SL 651 §2.1 downlink: station before centre, direction bits 1000', () => {
  const ack = encodeSl651Ack({ centre: 1, station: '0012345678', password: '1234', functionCode: 0x32, serial: 7, sentAt: new Date('2024-06-01T04:00:00Z'), endChar: ESC });
  assert.equal(ack.toString('hex', 2, 8), '001234567801');
  assert.equal(ack[11]! >> 4, 8);
  const [frame] = frames(new Sl651FrameParser().push(ack));
  assert.equal(frame?.direction, 'down');
  assert.equal(frame?.station, '0012345678');
  assert.equal(frame?.centre, 1);
  assert.equal(frame?.endChar, ESC);
  assert.equal(frame?.body.toString('hex'), '0007240601120000');
});

test('SL 651 §2.1 several frames in one chunk, and a frame fed byte by byte', () => {
  const parser = new Sl651FrameParser();
  const events = parser.push(Buffer.concat([KEEP_ALIVE, report(1), report(2)]));
  assert.deepEqual(frames(events).map((f) => f.functionCode), [0x2f, 0x32, 0x32]);
  assert.deepEqual(codes(events), []);
  const all: Sl651FrameEvent[] = [];
  const bytes = report(3);
  for (let i = 0; i < bytes.length; i++) {
    const got = parser.push(bytes.subarray(i, i + 1));
    if (i < bytes.length - 1) assert.deepEqual(got, []);
    all.push(...got);
  }
  assert.equal(frames(all).length, 1);
  assert.equal(parser.pendingBytes, 0);
});

test('SL 651 §2.1 garbage (including ASCII-mode SOH bytes and lone 7E) is skipped and reported', () => {
  const parser = new Sl651FrameParser();
  const events = parser.push(Buffer.concat([Buffer.from('0148656c6c6f7e', 'hex'), KEEP_ALIVE, Buffer.from('7e00ff7e', 'hex'), report(9)]));
  assert.equal(frames(events).length, 2);
  assert.deepEqual(events.map((e) => e.kind), ['error', 'frame', 'error', 'frame']);
  assert.equal(codes(events).every((c) => c === 'EDGE_ERR_SL651_GARBAGE'), true);
});

test('SL 651 §2.1 a run of 7E before the header is garbage, not a bad header', () => {
  const events = new Sl651FrameParser().push(Buffer.concat([Buffer.from([0x7e, 0x7e, 0x7e]), KEEP_ALIVE]));
  assert.deepEqual(codes(events), ['EDGE_ERR_SL651_GARBAGE']);
  assert.equal(frames(events).length, 1);
});

test('SL 651 §2.1 bad CRC is reported with the header and the next frame is still read', () => {
  const bad = Buffer.from(KEEP_ALIVE);
  bad[bad.length - 1] ^= 0xff;
  const events = new Sl651FrameParser().push(Buffer.concat([bad, report(4)]));
  assert.deepEqual(codes(events), ['EDGE_ERR_SL651_BAD_CRC']);
  const error = events[0];
  assert.ok(error?.kind === 'error');
  assert.equal(error.header?.station, '0012345678');
  assert.equal(error.header?.functionCode, 0x2f);
  assert.equal(frames(events).length, 1);
});

test('SL 651 §2.1 wrong direction bits, wrong start char, or no end char are refused and resynchronised', () => {
  const wrongDir = Buffer.from(KEEP_ALIVE);
  wrongDir[11] = 0x40;
  const wrongStart = Buffer.from(KEEP_ALIVE);
  wrongStart[13] = 0x09;
  const noEnd = Buffer.from(KEEP_ALIVE);
  noEnd[22] = 0x99;
  for (const [bad, code] of [[wrongDir, 'EDGE_ERR_SL651_BAD_HEADER'], [wrongStart, 'EDGE_ERR_SL651_BAD_HEADER'], [noEnd, 'EDGE_ERR_SL651_BAD_END']] as const) {
    const events = new Sl651FrameParser().push(Buffer.concat([bad, KEEP_ALIVE]));
    assert.equal(codes(events)[0], code);
    assert.equal(frames(events).length, 1);
  }
});

test('SL 651 §2.1 SYN frames: packet total/seq decoded; length with or without the 3 packet bytes accepted', () => {
  const body = Buffer.from('00112233', 'hex');
  const withPacketBytes = encodeSl651Frame({ direction: 'up', centre: 1, station: '0012345678', password: 1, functionCode: 0x36, body, endChar: ETB, packet: { total: 300, seq: 2 } });
  const [a] = frames(new Sl651FrameParser().push(withPacketBytes));
  assert.equal(a?.startChar, SYN);
  assert.deepEqual(a?.packet, { total: 300, seq: 2 });
  assert.deepEqual(a?.body, body);
  assert.equal(a?.endChar, ETB);
  // The other convention: length counts only the body after the packet bytes.
  const other = Buffer.from(withPacketBytes.subarray(0, -2));
  other.writeUInt16BE(body.length, 11);
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(sl651Crc(other));
  const [b] = frames(new Sl651FrameParser().push(Buffer.concat([other, crc])));
  assert.deepEqual(b?.body, body);
  assert.deepEqual(b?.packet, { total: 300, seq: 2 });
});

test('SL 651 §2.1 every end char of the table is accepted', () => {
  for (const endChar of [ETX, ETB, EOT, 0x05, ACK, 0x15, ESC]) {
    const frame = encodeSl651Frame({ direction: 'down', centre: 2, station: '0000000001', password: 0, functionCode: 0x32, body: Buffer.alloc(8), endChar });
    assert.equal(frames(new Sl651FrameParser().push(frame))[0]?.endChar, endChar);
  }
});

test('SL 651 §2.1 a truncated frame waits, is reported when a new frame starts, and at end()', () => {
  const parser = new Sl651FrameParser();
  assert.deepEqual(parser.push(report(5).subarray(0, 12)), []);
  const events = parser.push(KEEP_ALIVE);
  assert.deepEqual(codes(events), ['EDGE_ERR_SL651_TRUNCATED']);
  assert.equal(frames(events).length, 1);
  parser.push(report(6).subarray(0, 20));
  assert.deepEqual(codes(parser.end()), ['EDGE_ERR_SL651_TRUNCATED']);
  assert.equal(parser.pendingBytes, 0);
});

test('SL 651 §2.1 memory stays bounded for a frame that never completes', () => {
  const parser = new Sl651FrameParser({ maxBufferBytes: 1024 });
  const header = Buffer.from(KEEP_ALIVE.subarray(0, 14));
  header.writeUInt16BE(0x0fff, 11);
  parser.push(header);
  let overflow = 0;
  for (let i = 0; i < 100; i++) {
    overflow += codes(parser.push(Buffer.alloc(50, 0x11))).filter((c) => c === 'EDGE_ERR_SL651_OVERFLOW').length;
    assert.ok(parser.pendingBytes <= 1024 + 50);
  }
  assert.equal(overflow, 1);
});

test('SL 651 §2.1 random bytes never throw; a valid frame afterwards is still found; a slow drip stays fast', () => {
  let seed = 651;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 8) & 0xff;
  };
  const parser = new Sl651FrameParser();
  for (let round = 0; round < 300; round++) {
    const chunk = Buffer.alloc(1 + (random() % 300));
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 11 === 0 ? 0x7e : random();
    assert.doesNotThrow(() => parser.push(chunk));
  }
  const events = parser.push(Buffer.concat([Buffer.alloc(4200), KEEP_ALIVE]));
  assert.equal(frames(events).at(-1)?.functionCode, 0x2f);

  // A pending maximal frame fed one byte at a time, full of 7E7E candidates.
  const drip = new Sl651FrameParser();
  const header = Buffer.from(KEEP_ALIVE.subarray(0, 14));
  header.writeUInt16BE(0x0fff, 11);
  drip.push(header);
  for (let i = 0; i < 4000; i++) drip.push(Buffer.from([i % 4 < 2 ? 0x7e : i & 0xff]));
  const { candidateChecks, crcBytes } = drip.work;
  // Re-checking every pending 7E7E candidate on each new byte would make ~2000 candidates × 4000
  // bytes = millions of checks; settled candidates are never looked at again.
  assert.ok(candidateChecks < 4000 * 8, `slow drip must not re-check settled candidates (${candidateChecks} checks)`);
  assert.ok(crcBytes < 4000 * 64, `slow drip must not be quadratic-per-byte in CRC work (${crcBytes} bytes)`);
});
