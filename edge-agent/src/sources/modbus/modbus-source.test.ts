/**
 * ModbusSource against real Modbus slaves: modbus-serial's ServerTCP on a free port, and
 * ServerSerial on the far end of a socat pseudo-terminal pair (RTU). Register map decoding,
 * several slave ids on one link, a dead slave, an exception, a garbled frame, writes (遥控).
 */
import { describe, test, expect, beforeAll, afterAll, vi } from 'vitest';
import { SourceConfigSchema } from '@shanshui/models';
import type { SourceReading } from '../source-reading.ts';
import { ModbusSource } from './modbus-source.ts';
import type { ModbusSourceConfig } from './modbus-source.ts';
import { encodeRegisters } from './register-codec.ts';
import { startPtyPair, startRtuSlave, startTcpSlave } from './test-slaves.fixture.ts';
import type { RegisterBank } from './test-slaves.fixture.ts';

const STATION = 'GW-0001';

function modbusConfig(input: Record<string, unknown>): ModbusSourceConfig {
  const config = SourceConfigSchema.parse({ kind: 'modbus', ...input });
  if (config.kind !== 'modbus') throw new Error('not modbus');
  return config;
}

/** Two sensors (slaves 1 and 2, the second a child station) and a slave that never answers (7). */
function fillBank(bank: RegisterBank): void {
  bank.setWords('holding', 1, 0, encodeRegisters(3.25, { type: 'float32', byteOrder: 'big', wordOrder: 'little' })); // water level, CDAB
  bank.setWords('input', 1, 10, encodeRegisters(-125, { type: 'int16', byteOrder: 'big', wordOrder: 'big' })); // −12.5 °C at scale 0.1
  bank.setBit('coils', 1, 0, true);
  bank.setBit('discrete', 1, 5, true);
  bank.setWords('holding', 2, 100, encodeRegisters(70000, { type: 'uint32', byteOrder: 'big', wordOrder: 'big' }));
  bank.setWords('input', 2, 0, encodeRegisters(2.5, { type: 'float64', byteOrder: 'little', wordOrder: 'big' }));
  bank.dead.add(7);
}

const GROUPS = [
  {
    slaveId: 1,
    pollIntervalMs: 100,
    points: [
      { metric: 'water_level', table: 'holding', address: 0, type: 'float32', wordOrder: 'little' },
      { metric: 'temperature', table: 'input', address: 10, type: 'int16', scale: 0.1 },
      { metric: 'pump_running', table: 'coil', address: 0 },
      { metric: 'door_open', table: 'discrete', address: 5 },
    ],
  },
  {
    slaveId: 2,
    stationId: 'SOIL-0002',
    pollIntervalMs: 100,
    points: [
      { metric: 'rainfall_total', table: 'holding', address: 100, type: 'uint32', scale: 0.01, offset: 1 },
      { metric: 'soil_moisture', table: 'input', address: 0, type: 'float64', byteOrder: 'little' },
    ],
  },
  { slaveId: 7, pollIntervalMs: 100, points: [{ metric: 'dead_value', table: 'holding', address: 0 }] },
  { slaveId: 1, pollIntervalMs: 100, points: [{ metric: 'nowhere', table: 'holding', address: 1500 }] },
];

const COMMANDS = [
  { name: 'set_gate_opening', slaveId: 1, table: 'holding', address: 20, scale: 0.1, min: 0, max: 100 },
  { name: 'pump_on', slaveId: 1, table: 'coil', address: 3, value: true },
  { name: 'set_dead', slaveId: 7, table: 'holding', address: 0 },
];

function collector(): { readings: SourceReading[]; latest(station: string, metric: string): { value: number; quality: string } | undefined } {
  const readings: SourceReading[] = [];
  return {
    readings,
    latest: (station, metric) => {
      for (let i = readings.length - 1; i >= 0; i--) {
        const v = readings[i]!.source === station ? readings[i]!.values[metric] : undefined;
        if (v) return v;
      }
      return undefined;
    },
  };
}

/** What both transports must do with the same slaves. */
async function checkRegisterMap(source: ModbusSource, c: ReturnType<typeof collector>, bank: RegisterBank): Promise<void> {
  await vi.waitFor(() => {
    expect(c.latest(STATION, 'water_level')).toEqual({ value: 3.25, quality: 'ok' });
    expect(c.latest(STATION, 'temperature')?.value).toBeCloseTo(-12.5);
    expect(c.latest(STATION, 'pump_running')).toEqual({ value: 1, quality: 'ok' });
    expect(c.latest(STATION, 'door_open')).toEqual({ value: 1, quality: 'ok' });
    expect(c.latest('SOIL-0002', 'rainfall_total')?.value).toBeCloseTo(701);
    expect(c.latest('SOIL-0002', 'soil_moisture')).toEqual({ value: 2.5, quality: 'ok' });
  }, { timeout: 10_000, interval: 50 });
  // The dead slave and the illegal address are counted and stop nothing: polls go on.
  await vi.waitFor(() => {
    const s = source.stats();
    expect(s.timeouts).toBeGreaterThanOrEqual(2);
    expect(s.exceptions).toBeGreaterThanOrEqual(2);
  }, { timeout: 10_000, interval: 50 });
  expect(c.readings.some((r) => 'dead_value' in r.values || 'nowhere' in r.values)).toBe(false);
  bank.setWords('holding', 1, 0, encodeRegisters(4.5, { type: 'float32', byteOrder: 'big', wordOrder: 'little' }));
  await vi.waitFor(() => expect(c.latest(STATION, 'water_level')?.value).toBe(4.5), { timeout: 10_000, interval: 50 });

  // 遥控: an engineering value within bounds is written scaled; out of bounds nothing is written.
  expect(await source.executeCommand('set_gate_opening', { value: 55.5 })).toMatchObject({ ok: true });
  expect(await source.executeCommand('set_gate_opening', { value: 120 })).toMatchObject({ ok: false, error: expect.stringMatching(/above max 100/) });
  expect(await source.executeCommand('set_gate_opening', { value: 'open' })).toMatchObject({ ok: false });
  expect(await source.executeCommand('pump_on', {})).toMatchObject({ ok: true });
  expect(await source.executeCommand('set_dead', { value: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/^timeout/) });
  expect(await source.executeCommand('nope', {})).toMatchObject({ ok: false, error: 'unknown command nope' });
  expect(bank.writes).toEqual([
    { unit: 1, table: 'holding', address: 20, value: 555 },
    { unit: 1, table: 'coil', address: 3, value: true },
  ]);

  // The slave goes silent: its values are reported again at their last value, flagged 通讯异常.
  bank.dead.add(1);
  await vi.waitFor(() => expect(c.latest(STATION, 'water_level')).toEqual({ value: 4.5, quality: 'comm_error' }), { timeout: 10_000, interval: 50 });
  expect(c.latest('SOIL-0002', 'soil_moisture')?.quality).toBe('ok');
  bank.dead.delete(1);
  await vi.waitFor(() => expect(c.latest(STATION, 'water_level')?.quality).toBe('ok'), { timeout: 10_000, interval: 50 });
}

describe('Modbus TCP', () => {
  let slave: Awaited<ReturnType<typeof startTcpSlave>>;
  beforeAll(async () => {
    slave = await startTcpSlave();
    fillBank(slave.bank);
  });
  afterAll(async () => slave?.close());

  test('reads the register map of two slaves, counts a dead slave and an exception, writes commands', async () => {
    const c = collector();
    const source = new ModbusSource({
      config: modbusConfig({ transport: { type: 'tcp', host: '127.0.0.1', port: slave.port }, timeoutMs: 800, groups: GROUPS, commands: COMMANDS }),
      stationId: STATION,
      onReadings: (r) => c.readings.push(...r),
    });
    await source.start();
    try {
      await checkRegisterMap(source, c, slave.bank);
      expect(source.stats().state).toBe('connected');
    } finally {
      await source.stop();
    }
  });

  test('a slave that is not up yet is retried in the background; start never fails', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = await startTcpSlave();
    const freePort = probe.port;
    await probe.close();
    const c = collector();
    const source = new ModbusSource({
      config: modbusConfig({ transport: { type: 'tcp', host: '127.0.0.1', port: freePort }, timeoutMs: 800, groups: GROUPS.slice(0, 1) }),
      stationId: STATION,
      onReadings: (r) => c.readings.push(...r),
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    });
    await source.start();
    try {
      await vi.waitFor(() => expect(source.stats().connectionErrors).toBeGreaterThan(0), { timeout: 5000, interval: 20 });
      expect(c.readings).toEqual([]);
    } finally {
      await source.stop();
    }
  });
});

describe('Modbus RTU over a pseudo-terminal pair (socat)', () => {
  test('reads the register map through ServerSerial on the far end, same as TCP', async () => {
    const pty = await startPtyPair();
    const slave = await startRtuSlave(pty.b);
    fillBank(slave.bank);
    const c = collector();
    const source = new ModbusSource({
      config: modbusConfig({ transport: { type: 'rtu', device: pty.a, baudRate: 9600 }, timeoutMs: 800, groups: GROUPS, commands: COMMANDS }),
      stationId: STATION,
      onReadings: (r) => c.readings.push(...r),
    });
    await source.start();
    try {
      await checkRegisterMap(source, c, slave.bank);
    } finally {
      await source.stop();
      await slave.close();
      await pty.close();
    }
  });

  test('a garbled answer (bad CRC) is counted as a CRC error, flagged, and the next poll reads again', async () => {
    const pty = await startPtyPair();
    // A hand-made slave that answers FC 3 for unit 1 correctly, but with the CRC spoiled while `garble` is set.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: pty.b, baudRate: 9600 });
    await new Promise((r) => port.once('open', r));
    const crc16 = (b: Buffer): number => {
      let crc = 0xffff;
      for (const byte of b) {
        crc ^= byte;
        for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
      }
      return crc;
    };
    let garble = false;
    let pending = Buffer.alloc(0);
    port.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 8) {
        const req = pending.subarray(0, 8);
        pending = pending.subarray(8);
        const qty = req.readUInt16BE(4);
        const body = Buffer.alloc(3 + qty * 2);
        body[0] = req[0]!;
        body[1] = 3;
        body[2] = qty * 2;
        for (let i = 0; i < qty; i++) body.writeUInt16BE(1234, 3 + i * 2);
        const frame = Buffer.alloc(body.length + 2);
        body.copy(frame);
        frame.writeUInt16LE(crc16(body) ^ (garble ? 0x5a5a : 0), body.length);
        port.write(frame);
      }
    });
    const c = collector();
    const source = new ModbusSource({
      config: modbusConfig({ transport: { type: 'rtu', device: pty.a }, timeoutMs: 800, groups: [{ slaveId: 1, pollIntervalMs: 100, points: [{ metric: 'water_level', table: 'holding', address: 0, scale: 0.01 }] }] }),
      stationId: STATION,
      onReadings: (r) => c.readings.push(...r),
    });
    await source.start();
    try {
      await vi.waitFor(() => expect(c.latest(STATION, 'water_level')).toEqual({ value: 12.34, quality: 'ok' }), { timeout: 10_000, interval: 50 });
      garble = true;
      await vi.waitFor(() => expect(source.stats().crcErrors).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 50 });
      await vi.waitFor(() => expect(c.latest(STATION, 'water_level')).toEqual({ value: 12.34, quality: 'comm_error' }), { timeout: 10_000, interval: 50 });
      garble = false;
      await vi.waitFor(() => expect(c.latest(STATION, 'water_level')?.quality).toBe('ok'), { timeout: 10_000, interval: 50 });
    } finally {
      await source.stop();
      await new Promise((r) => port.close(r));
      await pty.close();
    }
  });

  test('a serial device that does not exist fails the start (the config is rejected with the reason)', async () => {
    const source = new ModbusSource({
      config: modbusConfig({ transport: { type: 'rtu', device: '/dev/ttyNOPE9' }, groups: GROUPS.slice(0, 1) }),
      stationId: STATION,
      onReadings: () => undefined,
    });
    await expect(source.start()).rejects.toThrow(/not found/);
  });
});
