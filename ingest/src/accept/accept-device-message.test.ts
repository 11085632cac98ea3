/**
 * What acceptDeviceMessage makes of `up/status` and `up/events`: a point InfluxDB can parse,
 * or a dead letter naming the field — never a line InfluxDB would refuse (a refused line takes
 * its whole batch, other stations' readings too, into one storage dead letter).
 */
import { test, expect } from 'vitest';
import { encodePayload } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { acceptDeviceMessage } from './accept-device-message.ts';

const station: Station = { id: 'st-1', name: 'st 1', domain: 'air', lat: 23, lon: 113, region: '440100', department: 'eco-env', createdAt: '2026-01-01T00:00:00Z' };
const NOW = 1_795_000_000_000;
const json = (text: string): Buffer => Buffer.from(text);

test('a status ts that is not a whole number of milliseconds ≥ 0 is a dead letter naming ts and the value', () => {
  const cases: Array<[Buffer, string]> = [
    [json('{"ts":1.5,"battery":3}'), '1.5'],
    [json('{"ts":-1e300,"battery":3}'), '-1e+300'],
    [json('{"ts":-1,"battery":3}'), '-1'],
    [json('{"ts":1e300,"battery":3}'), '1e+300'],
    // JSON cannot carry these; CBOR can.
    [encodePayload({ ts: Number.NaN, battery: 3 }, 'cbor'), 'NaN'],
    [encodePayload({ ts: Number.NEGATIVE_INFINITY, battery: 3 }, 'cbor'), '-Infinity'],
  ];
  for (const [payload, got] of cases) {
    const out = acceptDeviceMessage(station, 'status', 'shanshui/v1/st-1/up/status', payload, NOW);
    expect(out.lines, got).toBe('');
    expect(out.deadLetter, got).toMatchObject({ deviceId: 'st-1', code: 'INGEST_ERR_PAYLOAD_INVALID' });
    expect(out.deadLetter!.reason).toBe(`payload does not match the readings envelope: ts: expected epoch milliseconds (UTC), a whole number ≥ 0 — got ${got}`);
  }
  // The same on events.
  const event = acceptDeviceMessage(station, 'events', 'shanshui/v1/st-1/up/events', json('{"ts":2.25,"type":"door_open"}'), NOW);
  expect(event.deadLetter?.reason).toMatch(/ts: expected epoch milliseconds \(UTC\), a whole number ≥ 0 — got 2\.25$/);
});

test('a good ts is the point time; a ts in the future beyond five minutes, or none, is now', () => {
  const at = (text: string): string => acceptDeviceMessage(station, 'status', 't', json(text), NOW).lines.split(' ').at(-1)!;
  expect(at(`{"ts":${NOW - 5000},"battery":3}`)).toBe(String(NOW - 5000));
  expect(at('{"ts":0,"battery":3}')).toBe('0');
  expect(at(`{"ts":${NOW + 3_600_000},"battery":3}`)).toBe(String(NOW));
  expect(at('{"battery":3}')).toBe(String(NOW));
});

test('an event type line protocol cannot carry as a tag is a dead letter naming type and the value', () => {
  for (const type of ['door\\', 'door open', 'a,b', 'a=b', '\\', 'x\n', '_x', '1st', 'x'.repeat(65)]) {
    const out = acceptDeviceMessage(station, 'events', 'shanshui/v1/st-1/up/events', json(JSON.stringify({ type, detail: 'd' })), NOW);
    expect(out.lines, type).toBe('');
    expect(out.deadLetter?.code, type).toBe('INGEST_ERR_PAYLOAD_INVALID');
    expect(out.deadLetter!.reason).toBe(`payload does not match the readings envelope: type: expected an event type: letters, digits, _ . : - (1–64, starting with a letter) — got ${JSON.stringify(type)}`);
  }
  // A type that is not a string at all.
  const numeric = acceptDeviceMessage(station, 'events', 't', json('{"type":5}'), NOW);
  expect(numeric.deadLetter?.reason).toMatch(/type: expected an event type: .* — got 5$/);
});

test('event types that are tag-safe are kept as the tag: snake case, dots, colons, Chinese', () => {
  for (const type of ['door_open', 'alert.firing', 'modbus:timeout', 'x'.repeat(64), '门禁打开', 'DeadField2']) {
    const out = acceptDeviceMessage(station, 'events', 't', json(JSON.stringify({ type, ts: NOW - 1 })), NOW);
    expect(out.deadLetter, type).toBeUndefined();
    expect(out.lines).toBe(`device_events,dept=eco-env,domain=air,region=440100,station=st-1,type=${type} count=1 ${NOW - 1}`);
  }
  // No type, or an empty one: the tag is `event`, as before.
  expect(acceptDeviceMessage(station, 'events', 't', json('{"detail":"x"}'), NOW).lines).toMatch(/,type=event detail="x" /);
  expect(acceptDeviceMessage(station, 'events', 't', json('{"type":"","detail":"x"}'), NOW).lines).toMatch(/,type=event detail="x" /);
});

test('a status keeps `type` as an ordinary field: a backslash in a string field is quoted, not refused', () => {
  const out = acceptDeviceMessage(station, 'status', 't', json('{"ts":1000,"type":"door\\\\","battery":3}'), NOW);
  expect(out.deadLetter).toBeUndefined();
  expect(out.lines).toBe('device_status,dept=eco-env,domain=air,region=440100,station=st-1 battery=3,type="door\\\\" 1000');
});
