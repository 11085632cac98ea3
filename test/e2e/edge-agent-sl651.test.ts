/**
 * SL 651-2014 end to end, mirroring the HJ 212 test in edge-agent.test.ts: a
 * hydrological telemetry station (RTU) on a real TCP socket → the edge agent's SL 651 listener
 * → platform (aedes + ingest) → InfluxDB. HEX/BCD frames: timed (32), added (33) and hourly (34)
 * reports and the 2F keep-alive; the centre's acknowledgements are decoded by the RTU side;
 * bad CRC, modem noise, a frame cut short and a station hanging up mid-frame are counted, never
 * fatal.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { createAgent, provisionAgent } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import { freePort } from '@shanshui/ingest';
import { encodeSl651Frame, encodeSl651KeepAlive, encodeSl651Report, encodeSl651ReportBody, EOT, ETB, ETX, Sl651FrameParser } from '@shanshui/edge-agent/protocols';
import type { Sl651ReportInput, Sl651Frame } from '@shanshui/edge-agent/protocols';
import { useAgentPlatform } from '../support/agent-folder.ts';
import { eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const STATION = 'rsv-sl651-01';
/** The RTU's own identity on the SL 651 link. */
const RTU = { centre: 1, station: '0012345678', password: '1234' } as const;

const env = useAgentPlatform();
const { cleanups } = env;

/** A telemetry station's TCP link: sends frames, decodes what the centre answers. */
class RtuLink {
  readonly socket: net.Socket;
  /** The centre's frames, each with the agent's readings count at the moment it arrived. */
  readonly replies: Array<{ frame: Sl651Frame; readingsTakenThen: number }> = [];
  /** Anything in the reply stream that is not a valid frame. */
  readonly replyErrors: string[] = [];
  readonly #parser = new Sl651FrameParser();

  private constructor(socket: net.Socket, agent: Agent) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.#parser.push(chunk)) {
        if (event.kind === 'frame') this.replies.push({ frame: event, readingsTakenThen: agent.stats().readingsTaken });
        else this.replyErrors.push(event.code);
      }
    });
  }

  static async connect(port: number, agent: Agent): Promise<RtuLink> {
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(async () => socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RtuLink(socket, agent);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }
}

const MINUTE = 60_000;

test('SL 651 HEX/BCD frames over a real TCP socket: 32/33/34 reports stored with their metrics and acknowledged after the hand-over; 2F keep-alive counted; bad frames counted, never fatal', { timeout: 150_000 }, async () => {
  const token = await env.tp.bootstrapToken({ id: STATION, domain: 'reservoir', department: 'water' });
  const tmp = await tempDir('shanshui-sl651-e2e-');
  cleanups.push(tmp.remove);
  const dir = path.join(tmp.dir, 'agent');
  await provisionAgent({ server: env.tp.httpUrl, token, dir });
  const port = await freePort();
  // Configured through the agent's own config (no remote config yet), as on a gateway set up on site.
  const agent = await createAgent({ dir, config: { version: 1, heartbeatSec: 5, sources: [{ kind: 'sl651', port, host: '127.0.0.1' }] }, reconnectMinMs: 100, reconnectMaxMs: 1000 });
  cleanups.push(() => agent.stop());

  // Station clocks run on China Standard Time (the encoder and the listener both default to UTC+8).
  const H = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
  const sentAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const report = (functionCode: number, serial: number, groups: Sl651ReportInput['groups']): Buffer =>
    encodeSl651Report({ ...RTU, functionCode, serial, sentAt, stationClass: 0x4b /* 水库 */, groups });

  // 32 定时报: upstream (3B) and downstream (3A) levels, hourly rainfall (1A), supply voltage (38).
  const timed = report(0x32, 1, [
    { observedAt: new Date(H - 30 * MINUTE), elements: [{ key: '3B', value: 101.25 }, { key: '3A', value: 95.5 }, { key: '1A', value: 2.5 }, { key: '38', value: 12.6 }] },
  ]);
  // 33 加报: river level (39) and instantaneous flow (27), plus an identifier we do not map.
  const added = report(0x33, 2, [
    { observedAt: new Date(H - 25 * MINUTE), elements: [{ key: '39', value: 101.31 }, { key: '27', value: 12.345 }, { key: 'FF10', value: 7, digits: 4, decimals: 0 }] },
  ]);
  // 34 小时报: the hour's twelve 5-minute rainfalls (F4, one marked invalid) under hh:05, then
  // point values under hh+1:00, the supply voltage marked invalid (all FF).
  const drp = [0, 0.1, 0.2, null, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1];
  const hourly = report(0x34, 3, [
    { observedAt: new Date(H + 5 * MINUTE), elements: [{ key: 'F4', values: drp }] },
    { observedAt: new Date(H + 60 * MINUTE), elements: [{ key: '1A', value: 3.5 }, { key: '3B', value: 101.4 }, { key: '26', value: 1234.5 }, { key: '38', value: null }] },
  ]);
  const keepAlive = encodeSl651KeepAlive({ ...RTU, serial: 4, sentAt });
  const badCrc = report(0x32, 5, [{ observedAt: new Date(H - 20 * MINUTE), elements: [{ key: '3B', value: 555 }] }]);
  badCrc[badCrc.length - 1]! ^= 0x5a;
  const cutShort = report(0x32, 6, [{ observedAt: new Date(H - 15 * MINUTE), elements: [{ key: '3B', value: 666 }] }]).subarray(0, 30);
  const afterCut = report(0x32, 7, [{ observedAt: new Date(H - 10 * MINUTE), elements: [{ key: '3B', value: 101.5 }] }]);
  // A report in two SYN packets (SL 651 §2.1 multi-packet transfer): acknowledged once, after the last.
  const synBody = encodeSl651ReportBody({ station: RTU.station, functionCode: 0x32, serial: 9, sentAt, stationClass: 0x4b, groups: [{ observedAt: new Date(H + 65 * MINUTE), elements: [{ key: '3B', value: 101.45 }, { key: '3A', value: 95.6 }] }] });
  const packet = (seq: number, body: Buffer, endChar: number): Buffer => encodeSl651Frame({ direction: 'up', ...RTU, functionCode: 0x32, body, endChar, packet: { total: 2, seq } });
  const synPackets = [packet(1, synBody.subarray(0, 16), ETB), packet(2, synBody.subarray(16), ETX)];

  const rtu = await RtuLink.connect(port, agent);
  rtu.send(keepAlive);
  rtu.send(timed);
  rtu.send(Buffer.from('AT+CSQ\r\n+CSQ: 23,99\r\n')); // modem noise between frames
  rtu.send(added);
  rtu.send(badCrc);
  rtu.send(hourly);
  rtu.send(Buffer.concat([cutShort, afterCut])); // a frame cut short, the next one right behind it
  for (const p of synPackets) rtu.send(p);
  // Another station hangs up in the middle of a frame.
  const dropped = await RtuLink.connect(port, agent);
  dropped.send(report(0x32, 8, [{ observedAt: new Date(H - 5 * MINUTE), elements: [{ key: '3B', value: 777 }] }]).subarray(0, 20));
  dropped.socket.end();

  // SL 651 §2.1: each report acknowledged by the centre — downlink, its own function code, serial
  // echoed, end char EOT — and only after its readings were committed to the agent's buffer.
  await eventually(() => rtu.replies.length >= 5, 'five acknowledgements', 60_000);
  const acks = rtu.replies.map(({ frame }) => ({ direction: frame.direction, centre: frame.centre, station: frame.station, password: frame.password, fn: frame.functionCode, serial: frame.body.readUInt16BE(0), end: frame.endChar }));
  const ack = (fn: number, serial: number) => ({ direction: 'down', centre: 1, station: RTU.station, password: RTU.password, fn, serial, end: EOT });
  assert.deepEqual(acks, [ack(0x32, 1), ack(0x33, 2), ack(0x34, 3), ack(0x32, 7), ack(0x32, 9)], 'no reply to the keep-alive or to broken frames');
  assert.deepEqual(rtu.replyErrors, []);
  // Readings per report: timed 1, added 1, hourly 11 five-minute values + 1 point reading, afterCut 1, SYN 1.
  const cumulative = [1, 2, 14, 15, 16];
  rtu.replies.forEach((r, i) => assert.ok(r.readingsTakenThen >= cumulative[i]!, `ack ${i + 1} came after ${cumulative[i]} readings were taken (${r.readingsTakenThen})`));

  const want: Array<[number, Record<string, number>]> = [
    [H - 30 * MINUTE, { water_level: 101.25, downstream_level: 95.5, rainfall: 2.5, supply_voltage: 12.6 }],
    [H - 25 * MINUTE, { water_level: 101.31, flow: 12.345 }],
    [H - 10 * MINUTE, { water_level: 101.5 }],
    ...drp.flatMap((v, i): Array<[number, Record<string, number>]> => {
      const ts = H + (5 + 5 * i) * MINUTE;
      if (v === null) return [];
      return [[ts, ts === H + 60 * MINUTE ? { rainfall_5min: v, rainfall: 3.5, water_level: 101.4, rainfall_total: 1234.5 } : { rainfall_5min: v }]];
    }),
    [H + 65 * MINUTE, { water_level: 101.45, downstream_level: 95.6 }],
  ];
  const FIELDS = ['water_level', 'downstream_level', 'rainfall', 'supply_voltage', 'flow', 'rainfall_5min', 'rainfall_total'];
  const stored = async (): Promise<Array<[number, Record<string, number>]>> =>
    (await env.tp.query(`SELECT ${FIELDS.join(', ')} FROM reservoir WHERE station = '${STATION}'`)).map((r) => [
      r['time'] as number,
      Object.fromEntries(FIELDS.flatMap((f) => (r[f] === null || r[f] === undefined ? [] : [[f, Math.round(Number(r[f]) * 1e6) / 1e6]]))),
    ]);
  // One report's readings may reach InfluxDB in more than one write: wait for every field, not every row.
  const fieldCount = (rs: Array<[number, Record<string, number>]>): number => rs.reduce((n, [, f]) => n + Object.keys(f).length, 0);
  const rows = await eventually(async () => {
    const r = await stored();
    return r.length >= want.length && fieldCount(r) >= fieldCount(want) ? r : undefined;
  }, 'every report in InfluxDB', 60_000);
  assert.deepEqual(rows, want);

  const s = agent.stats().sources;
  assert.equal(s['source_sl651_reports'], 5);
  assert.equal(s['source_sl651_keep_alives'], 1);
  assert.equal(s['source_sl651_acks_sent'], 5);
  assert.equal(s['source_sl651_bad_crc'], 1);
  assert.ok(Number(s['source_sl651_garbage']) >= 1);
  await eventually(() => agent.stats().sources['source_sl651_truncated'] === 2, 'the frame cut short and the hang-up counted', 30_000);
  assert.equal(s['source_sl651_unknown_elements'], 1);
  assert.equal(s['source_sl651_invalid_values'], 2);
  assert.equal(s['source_sl651_internal_errors'], 0);

  // A station that did not get its ack sends the same report again: acknowledged again, stored once.
  const acceptedBefore = env.tp.accepted.filter((e) => e.station.id === STATION).length;
  rtu.send(timed);
  await eventually(() => rtu.replies.length === 6, 'the resent report acknowledged', 30_000);
  assert.equal(rtu.replies[5]!.frame.body.readUInt16BE(0), 1);
  await eventually(() => env.tp.accepted.filter((e) => e.station.id === STATION).length > acceptedBefore, 'the resent report accepted by the platform', 30_000);
  assert.deepEqual(await stored(), want, 'the resend rewrote the same point');

  // The heartbeat carries the SL 651 counters to the platform.
  await eventually(async () => {
    const r = await env.tp.query(`SELECT last(source_sl651_bad_crc) AS bad_crc, last(source_sl651_keep_alives) AS keep_alives, last(source_sl651_truncated) AS truncated FROM device_status WHERE station = '${STATION}'`);
    return r[0]?.['bad_crc'] === 1 && r[0]['keep_alives'] === 1 && r[0]['truncated'] === 2;
  }, 'a heartbeat with the SL 651 counters', 30_000);
});
