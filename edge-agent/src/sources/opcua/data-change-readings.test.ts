/** Data changes → readings: scale and offset, quality, timestamps, merging per (station, time). */
import { test, expect } from 'vitest';
import { pino } from 'pino';
import { DataType, DataValue, StatusCodes, Variant } from 'node-opcua';
import type { StatusCode } from 'node-opcua';
import { DataChangeReadings, timestampOf } from './data-change-readings.ts';
import type { OpcuaItemConfig } from './data-change-readings.ts';

const log = pino({ level: 'silent' });
const T = new Date('2026-05-01T00:00:00Z');
const item = (metric: string, extra: Partial<OpcuaItemConfig> = {}): OpcuaItemConfig => ({ nodeId: `ns=1;s=${metric}`, metric, scale: 1, offset: 0, deadband: 0, samplingIntervalMs: 100, ...extra }) as OpcuaItemConfig;
const change = (value: number | null, statusCode: StatusCode = StatusCodes.Good, sourceTimestamp: Date | null = T): DataValue =>
  new DataValue({ value: value === null ? new Variant({ dataType: DataType.Null }) : new Variant({ dataType: DataType.Double, value }), statusCode, sourceTimestamp });

test('value × scale + offset; changes at one time merge into one reading; a metric seen twice starts another', () => {
  const r = new DataChangeReadings('PS-1', log);
  expect(r.add(item('flow', { scale: 2, offset: 1 }), change(10))).toEqual({ quality: 'ok', queued: true });
  r.add(item('level'), change(3));
  r.add(item('flow', { scale: 2, offset: 1 }), change(11));
  expect(r.pending).toBe(true);
  expect(r.take()).toEqual([
    { source: 'PS-1', ts: T, kind: 'opcua', values: { flow: { value: 21, quality: 'ok' }, level: { value: 3, quality: 'ok' } } },
    { source: 'PS-1', ts: T, kind: 'opcua', values: { flow: { value: 23, quality: 'ok' } } },
  ]);
  expect(r.pending).toBe(false);
  expect(r.take()).toEqual([]);
});

test('items of a child station become that station\'s readings', () => {
  const r = new DataChangeReadings('PS-1', log);
  r.add(item('flow'), change(1));
  r.add(item('flow', { stationId: 'RTU-7' }), change(2));
  expect(r.take().map((x) => [x.source, x.values['flow']?.value])).toEqual([
    ['PS-1', 1],
    ['RTU-7', 2],
  ]);
});

test('a Bad status without a value carries the last value with its quality; before any value it is not queued', () => {
  const r = new DataChangeReadings('PS-1', log);
  expect(r.add(item('flow'), change(null, StatusCodes.BadNoCommunication))).toEqual({ quality: 'comm_error', queued: false });
  r.add(item('flow'), change(5));
  expect(r.add(item('flow'), change(null, StatusCodes.BadNoCommunication))).toEqual({ quality: 'comm_error', queued: true });
  expect(r.take().flatMap((x) => Object.values(x.values))).toEqual([
    { value: 5, quality: 'ok' },
    { value: 5, quality: 'comm_error' },
  ]);
});

test('a Good value that is no number is skipped', () => {
  const r = new DataChangeReadings('PS-1', log);
  const text = new DataValue({ value: new Variant({ dataType: DataType.String, value: 'auto' }), statusCode: StatusCodes.Good });
  expect(r.add(item('mode'), text)).toEqual({ quality: 'ok', queued: false });
  expect(r.pending).toBe(false);
});

test('timestamp: source, else server, else now (OPC-UA\'s 1601 "no time" is no time)', () => {
  const server = new Date('2026-05-02T00:00:00Z');
  expect(timestampOf({ sourceTimestamp: T, serverTimestamp: server })).toBe(T);
  expect(timestampOf({ sourceTimestamp: new Date(Date.UTC(1601, 0, 1)), serverTimestamp: server })).toBe(server);
  const before = Date.now();
  expect(timestampOf({ sourceTimestamp: null, serverTimestamp: null }).getTime()).toBeGreaterThanOrEqual(before);
});
