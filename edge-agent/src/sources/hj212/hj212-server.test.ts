import { test, beforeAll, afterAll, expect } from 'vitest';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hj212Server } from './hj212-server.ts';
import type { Hj212ReadingsContext, Hj212ServerOptions } from './hj212-server.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import { encodeHj212Packet, parseHj212Packet } from './packet.ts';
import type { Hj212Packet, Hj212PacketFields } from './packet.ts';
import { Hj212Error } from './errors.ts';
import type { SourceReading } from '../source-reading.ts';
import { DialInClient } from '../dial-in/dial-in-client.fixture.ts';
import { VERIFIED_PACKETS } from './verified-packets.fixture.ts';

/** A data logger: a real TCP client that decodes the platform's replies with the same parser. */
type DataLogger = DialInClient<Hj212Packet> & { readonly raw: string[] };

async function connectLogger(port: number): Promise<DataLogger> {
  const parser = new Hj212FrameParser();
  const raw: string[] = [];
  const client = await DialInClient.connect(port, (chunk) =>
    parser.push(chunk).map((event) => {
      assert.equal(event.kind, 'frame', 'the platform only sends valid frames');
      if (event.kind !== 'frame') throw new Error('not a frame');
      raw.push(event.raw.toString());
      const result = parseHj212Packet(event.data);
      assert.ok(result.ok);
      return result.packet;
    }),
  );
  return Object.assign(client, { raw });
}

const received: Array<{ readings: SourceReading[]; context: Hj212ReadingsContext }> = [];
let failNext = false;
let server: Hj212Server;
let port: number;

const baseOptions: Hj212ServerOptions = {
  onReadings(readings, context) {
    if (failNext) {
      failNext = false;
      throw new Error('downstream unavailable');
    }
    received.push({ readings, context });
  },
  devices: {
    'PW-CHECKED': { password: '654321' },
    'V2017-ONLY': { version: '2017' },
  },
};

beforeAll(async () => {
  server = new Hj212Server(baseOptions);
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server.close();
});

const airUpload = (qn: string, flag: Hj212PacketFields['flag'], mn = 'AIR-01'): string =>
  encodeHj212Packet({
    qn,
    st: '22',
    cn: '2011',
    pw: '123456',
    mn,
    flag,
    cp: { dataTime: '20240601120000', factors: { a34004: { Rtd: 35, Flag: 'N' }, a21005: { Rtd: 0.8, Flag: 'M' } } },
  });

test('HJ 212 §1.8 9014: verified packet 4 (A bit set) is acknowledged exactly in the shape of verified packet 2', async () => {
  const logger = await connectLogger(port);
  const before = server.stats();
  logger.send(VERIFIED_PACKETS[3] ?? '');
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  const expected = encodeHj212Packet({
    qn: '20190925181031464',
    st: '91',
    cn: '9014',
    pw: 'BF470F88957588DE902D1A52',
    mn: 'Z13401000010301',
    flag: 4,
  });
  assert.equal(logger.raw[0], expected);
  const after = server.stats();
  assert.equal(after.unknownFactors - before.unknownFactors, 5, 'a34006… are not in the factor map');
  assert.equal(after.packets - before.packets, 1);
  await logger.close();
});

test('HJ 212 §1.8 a real-time upload becomes readings and is acknowledged with 9014', async () => {
  received.length = 0;
  const logger = await connectLogger(port);
  logger.send(airUpload('20240601120000001', 5));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(received.length, 1);
  assert.deepEqual(received[0]?.readings, [
    {
      source: 'AIR-01',
      ts: new Date('2024-06-01T04:00:00Z'),
      kind: 'realtime',
      values: { pm25: { value: 35, quality: 'ok' }, co: { value: 0.8, quality: 'maintenance' } },
    },
  ]);
  assert.equal(received[0]?.context.mn, 'AIR-01');
  assert.equal(received[0]?.context.cn, '2011');
  assert.equal(received[0]?.context.protocol, 'hj212');
  const reply = logger.replies[0];
  assert.equal(reply?.qn, '20240601120000001');
  assert.equal(reply?.st, '91');
  assert.equal(reply?.cn, '9014');
  assert.equal(reply?.pw, '123456');
  assert.equal(reply?.flag?.value, 4);
  assert.deepEqual(reply?.cp, { params: {}, factors: {} });
  await logger.close();
});

test('HJ 212 §1.5 no reply when the A bit is clear', async () => {
  received.length = 0;
  const logger = await connectLogger(port);
  logger.send(airUpload('20240601120000010', 4));
  logger.send(airUpload('20240601120000011', 5));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  await sleep(30);
  assert.equal(logger.replies.length, 1);
  assert.equal(logger.replies[0]?.qn, '20240601120000011');
  assert.equal(received.length, 2);
  await logger.close();
});

test('HJ 212 §1.0 replies use 2025 version bits for a 2025 logger and the configured version when set', async () => {
  const logger = await connectLogger(port);
  logger.send(airUpload('20260101000000001', { version: 2, ackWanted: true }));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies[0]?.flag?.value, 8);
  const before = server.stats().versionMismatch;
  logger.send(airUpload('20260101000000002', { version: 2, ackWanted: true }, 'V2017-ONLY'));
  await expect.poll(() => logger.replies.length === 2, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies[1]?.flag?.value, 4, 'configured 2017 wins over the Flag');
  assert.equal(server.stats().versionMismatch, before + 1);
  await logger.close();
});

test('HJ 212 §1.2 a bad CRC is counted and answered with 9011 QnRtn=9 when the A bit is set', async () => {
  const logger = await connectLogger(port);
  const before = server.stats();
  const good = airUpload('20240601120000020', 5);
  const bad = good.slice(0, -6) + (good.slice(-6, -2) === '0000' ? '0001' : '0000') + '\r\n';
  logger.send(bad);
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  const reply = logger.replies[0];
  assert.equal(reply?.cn, '9011');
  assert.equal(reply?.st, '91');
  assert.equal(reply?.qn, '20240601120000020');
  assert.deepEqual(reply?.cp.params, { QnRtn: '9' });
  assert.equal(server.stats().badCrc, before.badCrc + 1);
  assert.equal(server.stats().readings, before.readings);
  await logger.close();
});

test('HJ 212 §1.8 QnRtn=3: a wrong PW for a device with a configured password is refused', async () => {
  received.length = 0;
  const logger = await connectLogger(port);
  const before = server.stats().badPassword;
  logger.send(airUpload('20240601120000030', 5, 'PW-CHECKED'));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies[0]?.cn, '9011');
  assert.deepEqual(logger.replies[0]?.cp.params, { QnRtn: '3' });
  assert.equal(received.length, 0);
  assert.equal(server.stats().badPassword, before + 1);
  // The right password is accepted.
  const ok = encodeHj212Packet({ qn: '20240601120000031', st: '22', cn: '2011', pw: '654321', mn: 'PW-CHECKED', flag: 5, cp: { dataTime: '20240601120000', factors: { a34004: { Rtd: 1 } } } });
  logger.send(ok);
  await expect.poll(() => logger.replies.length === 2, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies[1]?.cn, '9014');
  assert.equal(received.length, 1);
  await logger.close();
});

test('HJ 212 §1.1 garbage, several frames in one chunk, and one frame split over many chunks', async () => {
  received.length = 0;
  const logger = await connectLogger(port);
  const before = server.stats();
  logger.send(`\x00\x01garbage${airUpload('20240601120000040', 5)}more#junk${airUpload('20240601120000041', 5)}`);
  await expect.poll(() => logger.replies.length === 2, { timeout: 2000 }).toBe(true);
  const split = Buffer.from(airUpload('20240601120000042', 5));
  for (let i = 0; i < split.length; i += 7) {
    logger.send(split.subarray(i, i + 7));
    await sleep(1);
  }
  await expect.poll(() => logger.replies.length === 3, { timeout: 2000 }).toBe(true);
  assert.deepEqual(logger.replies.map((r) => r.qn), ['20240601120000040', '20240601120000041', '20240601120000042']);
  assert.equal(received.length, 3);
  const after = server.stats();
  assert.equal(after.garbage - before.garbage, 2);
  assert.equal(after.garbageBytes - before.garbageBytes, '\x00\x01garbage'.length + 'more#junk'.length);
  await logger.close();
});

test('HJ 212 §1.1 a truncated frame at disconnect is counted', async () => {
  const logger = await connectLogger(port);
  const before = server.stats().truncated;
  logger.send(airUpload('20240601120000050', 5).slice(0, 60));
  await sleep(20);
  await logger.close();
  await expect.poll(() => server.stats().truncated === before + 1, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies.length, 0);
});

test('HJ 212 §1.8 no ack when onReadings fails, so the logger resends', async () => {
  received.length = 0;
  const logger = await connectLogger(port);
  const before = server.stats().callbackErrors;
  failNext = true;
  logger.send(airUpload('20240601120000060', 5));
  await expect.poll(() => server.stats().callbackErrors === before + 1, { timeout: 2000 }).toBe(true);
  logger.send(airUpload('20240601120000060', 5));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(logger.replies[0]?.qn, '20240601120000060');
  assert.equal(received.length, 1);
  await logger.close();
});

test('HJ 212 §1.1 random bytes never crash the listener; a valid frame afterwards still works', async () => {
  let seed = 0x212;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 8) & 0xff;
  };
  const noise = await connectLogger(port);
  for (let round = 0; round < 16; round++) {
    const chunk = Buffer.alloc(4096);
    for (let i = 0; i < chunk.length; i++) chunk[i] = random();
    // Sprinkle header-like bytes so the parser's resynchronisation paths are exercised.
    for (let i = 0; i < 40; i++) chunk.write(['##', '##0', '##01', '##0100', '\r\n', '##12'][i % 6] ?? '', random() * 16);
    noise.send(chunk);
  }
  await sleep(50);
  await noise.close();
  const logger = await connectLogger(port);
  logger.send(airUpload('20240601120000070', 5));
  await expect.poll(() => logger.replies.length === 1, { timeout: 2000 }).toBe(true);
  assert.equal(server.stats().internalErrors, 0);
  await logger.close();
});

test('HJ 212 listener options are validated at construction and name the key', () => {
  assert.throws(
    () => new Hj212Server({} as unknown as Hj212ServerOptions),
    (err: unknown) => err instanceof Hj212Error && err.code === 'EDGE_ERR_HJ212_OPTIONS_INVALID' && /onReadings/.test(err.message),
  );
  assert.throws(() => new Hj212Server({ ...baseOptions, idleTimeoutMs: -1 }), /idleTimeoutMs/);
  assert.throws(() => new Hj212Server({ ...baseOptions, devices: { X: { version: '2030' } } } as unknown as Hj212ServerOptions), /devices\.X\.version/);
  assert.throws(() => new Hj212Server({ ...baseOptions, portt: 1 } as unknown as Hj212ServerOptions), /portt/);
});

test('HJ 212 listener close() ends open connections', async () => {
  const own = new Hj212Server({ onReadings() {} });
  const { port: ownPort } = await own.listen(0, '127.0.0.1');
  const logger = await connectLogger(ownPort);
  await expect.poll(() => own.stats().connections === 1, { timeout: 2000 }).toBe(true);
  await own.close();
  await expect.poll(() => logger.closed, { timeout: 2000 }).toBe(true);
  assert.equal(own.stats().connections, 0);
});

test('HJ 212 listener closes idle connections after idleTimeoutMs', async () => {
  const own = new Hj212Server({ onReadings() {}, idleTimeoutMs: 50 });
  const { port: ownPort } = await own.listen(0, '127.0.0.1');
  const logger = await connectLogger(ownPort);
  await expect.poll(() => logger.closed, { timeout: 2000 }).toBe(true);
  assert.equal(own.stats().idleClosed, 1);
  await own.close();
});
