/**
 * SL 651-2014 ASCII mode (docs/standards/sl651-ascii.md): frames read by the same streaming
 * parser as HEX/BCD ones and handed on in the HEX model; the listener answers an ASCII station in
 * ASCII; per-station passwords (密码) drop and count a mismatch.
 */
import { test, expect, onTestFinished, vi } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import { SourceConfigSchema } from '@shanshui/models';
import { Sl651FrameParser } from './frame-parser.ts';
import type { Sl651Frame } from './frame-parser.ts';
import { parseSl651Report } from './report.ts';
import { encodeSl651AsciiFrame, readSl651AsciiFrame } from './ascii-frame.ts';
import { encodeSl651KeepAlive } from './encode.ts';
import { SourceSet } from '../source-set.ts';
import type { SourceReading } from '../source-reading.ts';

const REPORT_BODY = '0003180529101500 ST 0012345678 H TT 1805291000 PJ 0.5 PT 12.5 Z -1.235 VT 12.21 XX 9';
const asciiReport = (password = '1234', body = REPORT_BODY): Buffer =>
  encodeSl651AsciiFrame({ direction: 'up', centre: 1, station: '0012345678', password, functionCode: 0x32, body });

test('an ASCII report: header fields as text, CRC as 4 hex chars; decoded into the HEX model, elements by symbol', () => {
  const raw = asciiReport();
  expect(raw[0]).toBe(0x01);
  expect(raw.toString('latin1', 1, 23)).toBe(`010012345678123432${(REPORT_BODY.length).toString(16).toUpperCase().padStart(4, '0')}`);
  const events = new Sl651FrameParser().push(raw);
  expect(events).toHaveLength(1);
  const frame = events[0] as Sl651Frame;
  expect(frame).toMatchObject({ kind: 'frame', encoding: 'ascii', direction: 'up', centre: 1, station: '0012345678', password: '1234', functionCode: 0x32 });
  expect(frame.notes).toEqual(['ASCII element XX: symbol unknown, skipped']);
  const parsed = parseSl651Report(frame.body, frame.functionCode, { utcOffsetMinutes: 480 });
  if (!parsed.ok) throw new Error(parsed.message);
  expect(parsed.report).toMatchObject({ serial: 3, station: '0012345678', stationClass: 0x48 });
  const values = Object.fromEntries(parsed.report.groups[0]!.elements.map((e) => [e.key, e.value]));
  expect(values).toEqual({ '20': 0.5, '26': 12.5, '39': -1.235, '38': 12.21 });
  expect(parsed.report.groups[0]!.observedAt?.toISOString()).toBe('2018-05-29T02:00:00.000Z');
});

test('ASCII and HEX frames mixed on one stream, a bad ASCII CRC, and a stray 01 byte', () => {
  const parser = new Sl651FrameParser();
  const spoiled = Buffer.from(asciiReport());
  spoiled[spoiled.length - 1] = spoiled[spoiled.length - 1] === 0x30 ? 0x31 : 0x30;
  const hex = encodeSl651KeepAlive({ centre: 1, station: '0012345678', password: '1234', serial: 9, sentAt: new Date('2026-01-01T00:00:00Z') });
  const events = [...parser.push(Buffer.concat([Buffer.from([0x01, 0x7e]), asciiReport(), spoiled])), ...parser.push(hex)];
  expect(events.map((e) => (e.kind === 'frame' ? `frame:${e.encoding ?? 'hex'}` : e.code))).toEqual(['EDGE_ERR_SL651_GARBAGE', 'frame:ascii', 'EDGE_ERR_SL651_BAD_CRC', 'frame:hex']);
  // Fed one byte at a time, the same frame is found once.
  const drip = new Sl651FrameParser();
  const found = [...asciiReport()].flatMap((b) => drip.push(Buffer.from([b])));
  expect(found.map((e) => e.kind)).toEqual(['frame']);
  expect(readSl651AsciiFrame(asciiReport().subarray(0, 10))).toEqual({ type: 'need' });
});

test('the agent\'s SL 651 listener: an ASCII RTU is answered in ASCII; per-station passwords drop and count a wrong one', async () => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const readings: SourceReading[] = [];
  const set = new SourceSet({ stationId: 'gw-01', domain: 'reservoir', pkiDir: '/nonexistent', logger: pino({ level: 'silent' }), sink: (r) => readings.push(...r) });
  const config = SourceConfigSchema.parse({ kind: 'sl651', port, host: '127.0.0.1', passwords: { '0012345678': 'ABCD' } });
  expect(await set.apply([config])).toEqual({ ok: true });
  onTestFinished(() => set.stop());
  const socket = net.connect(port, '127.0.0.1');
  onTestFinished(() => void socket.destroy());
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));

  socket.write(asciiReport('1234'));
  await vi.waitFor(() => expect(set.stats()['source_sl651_bad_password']).toBe(1));
  expect(readings).toEqual([]);
  socket.write(asciiReport('abcd'));
  await vi.waitFor(() => expect(readings).toHaveLength(1));
  expect(readings[0]!.values).toMatchObject({ rainfall_current: { value: 0.5, quality: 'ok' }, water_level: { value: -1.235, quality: 'ok' } });
  await vi.waitFor(() => expect(received.length).toBeGreaterThan(0));
  const ack = Buffer.concat(received);
  expect(ack[0]).toBe(0x01);
  const answer = readSl651AsciiFrame(ack);
  expect(answer).toMatchObject({ type: 'frame', header: { direction: 'down', station: '0012345678', password: 'ABCD', functionCode: 0x32 } });
  expect(answer.type === 'frame' && answer.text.slice(0, 4)).toBe('0003');
});
