/**
 * The one-pass decode (one-pass-readings.ts) against the validated path, differentially: for
 * generated payloads — well-formed ones in every number, quality, key-order and whitespace form,
 * edge cases (ts forms, NaN, huge numbers, negative zero, duplicate and extra keys, escapes,
 * unicode, unknown and hostile metric names, implausible values, timestamps out of range, CBOR)
 * and thousands of byte mutations of them — `acceptReadings` (one pass where it vouches, else
 * validated) gives exactly what `acceptReadingsValidated` gives: lines, readings handed to the
 * rules, seq, counts and dead letters. And the one pass does take the common shapes.
 */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { encodePayload } from '@shanshui/models';
import type { MetricSpec, Station } from '@shanshui/models';
import { seededRandom } from '@shanshui/models/testing';
import { acceptReadings, acceptReadingsValidated } from './accept-readings.ts';
import type { AcceptContext } from './accept-readings.ts';
import { onePassReadings } from './one-pass-readings.ts';

const NOW = 1_795_000_000_000;
const base: Station = { id: 'air-1', name: '天河空气站1号', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' };
const profileTable: Readonly<Record<string, MetricSpec>> = {
  level: { id: 'level', name: '水位', nameEn: 'level', unit: 'm', min: -10, max: 100 } as MetricSpec,
  flow: { id: 'flow', name: '流量', nameEn: 'flow', unit: 'm3/s', min: 0, max: 50_000 } as MetricSpec,
};

const stations = new Map<string, Station>([
  ['air-1', base],
  ['air 2,x=站', { ...base, id: 'air 2,x=站', region: '44 01', department: 'eco,env' }],
  ['water-1', { ...base, id: 'water-1', domain: 'water' }],
  ['noise-1', { ...base, id: 'noise-1', domain: 'noise' }],
  ['ps-1', { ...base, id: 'ps-1', domain: 'pollution_source', attributes: { o2Reference: 11 } }],
  ['prof-1', { ...base, id: 'prof-1', domain: 'river', profile: 'custom-river' }],
]);

const ctx: AcceptContext = {
  station: (id) => stations.get(id),
  metricsFor: (s) => (s.profile === 'custom-river' ? profileTable : s.domain),
  nowMs: () => NOW,
  maxFutureSkewMs: 300_000,
  maxAgeMs: 30 * 86_400_000,
};

let fastTaken = 0;
let compared = 0;

function check(deviceId: string, payload: Buffer, label: string): void {
  const ours = acceptReadings(ctx, deviceId, 'topic', payload);
  const ref = acceptReadingsValidated(ctx, deviceId, 'topic', payload);
  assert.deepStrictEqual(ours, ref, `${label}: ${deviceId} ${payload.toString('utf8').slice(0, 400)}`);
  compared++;
  const station = stations.get(deviceId);
  if (station && onePassReadings(station, ctx.metricsFor!(station), payload, { nowMs: NOW, maxFutureSkewMs: 300_000, maxAgeMs: 30 * 86_400_000 })) fastTaken++;
}

const AIR = ['pm25', 'pm10', 'so2', 'no2', 'o3', 'co', 'temperature', 'humidity', 'wind_speed'];
const NUMBER_TEXTS = [
  '0', '-0', '0.0', '35.2', '35.20', '1.50', '100', '-12.5', '0.5', '0.000001', '0.0000001', '0.00001234', '1e2', '1E-7', '2.5e+3',
  '123456789012345', '1234567890123456', '12345678901234567890', '0.1234567890123456', '1e308', '1e400', '-1e400', '5000', '2000', '2000.0001',
  '9007199254740993', '1.7976931348623157e308', '4.9e-324', '0.30000000000000004', '3.14159', '-0.0', '1.0e0', '00', '01', '1.', '.5', '+1', '-', '1e', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '"35"',
];
const Q_TEXTS = ['"N"', '"ok"', '"F"', '"maintenance"', '"T"', '"implausible"', '"spike"', '"X"', '"n"', '1', 'null', '"\\u004e"', '"Ñ"'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function ws(r: () => number, on: boolean): string {
  if (!on || r() > 0.3) return '';
  return pick(r, [' ', '\n', '\t', '\r\n', '  ']);
}

function numberText(r: () => number, wellFormed: boolean): string {
  if (wellFormed) {
    const kind = r();
    if (kind < 0.4) return String(Math.round(r() * 2000 * 10) / 10);
    if (kind < 0.6) return String(Math.round(r() * 500));
    if (kind < 0.7) return String(-Math.round(r() * 5000) / 100);
    if (kind < 0.8) return String(r() * 100);
    return pick(r, NUMBER_TEXTS.slice(0, 27));
  }
  return pick(r, NUMBER_TEXTS);
}

function valueText(r: () => number, wellFormed: boolean, sp: boolean): string {
  const v = numberText(r, wellFormed);
  const form = r();
  if (form < 0.55) return v;
  const q = wellFormed ? pick(r, Q_TEXTS.slice(0, 5)) : pick(r, Q_TEXTS);
  const parts = form < 0.7 ? [`"v":${ws(r, sp)}${v}`] : form < 0.9 ? [`"v":${v}`, `"q":${ws(r, sp)}${q}`] : [`"q":${q}`, `"v":${v}`];
  if (!wellFormed && r() < 0.2) parts.push(pick(r, ['"x":1', '"v":2', '"q":"N"']));
  return `{${ws(r, sp)}${parts.join(`,${ws(r, sp)}`)}${ws(r, sp)}}`;
}

function valuesText(r: () => number, metrics: readonly string[], wellFormed: boolean, sp: boolean): string {
  const parts = metrics.map((m) => `"${m}"${ws(r, sp)}:${ws(r, sp)}${valueText(r, wellFormed, sp)}`);
  return `{${ws(r, sp)}${parts.join(`,${ws(r, sp)}`)}${ws(r, sp)}}`;
}

function tsText(r: () => number, wellFormed: boolean): string {
  const ts = NOW - Math.floor(r() * 86_400_000);
  if (wellFormed || r() < 0.6) return String(ts);
  return pick(r, [`${ts}.5`, `${ts}.0`, `${ts / 1000}e3`, `"${new Date(ts).toISOString()}"`, '-1', '0', String(NOW + 10_000_000), String(NOW - 40 * 86_400_000), '8640000000000001', '1e400', 'null']);
}

function metricsFor(r: () => number, deviceId: string, wellFormed: boolean): string[] {
  const pool = deviceId === 'water-1' ? ['ph', 'do', 'cod', 'nh3n', 'temperature'] : deviceId === 'noise-1' ? ['leq', 'lmax', 'lmin'] : deviceId === 'prof-1' ? ['level', 'flow', 'level_max'] : AIR;
  const count = 1 + Math.floor(r() * Math.min(pool.length, 6));
  const chosen = [...pool].sort(() => r() - 0.5).slice(0, count);
  if (!wellFormed && r() < 0.4) chosen.push(pick(r, ['pm25', 'unknown_metric', 'q_pm25', '__proto__', '', 'pm\\u0032\\u0035', '温度', 'a'.repeat(65), 'pm 25', 'rssi', 'pm25_min', 'supply_voltage']));
  return chosen;
}

function message(r: () => number, deviceId: string, wellFormed: boolean): string {
  const sp = r() < 0.5;
  const seq = wellFormed || r() < 0.7 ? String(Math.floor(r() * 1e6)) : pick(r, ['-1', '1.5', '"1"', '9007199254740993', 'null', '1e3']);
  const batch = r() < 0.5;
  const metrics = metricsFor(r, deviceId, wellFormed);
  let fields: string[];
  if (!batch) {
    fields = [`"seq":${ws(r, sp)}${seq}`, `"ts":${ws(r, sp)}${tsText(r, wellFormed)}`, `"values":${ws(r, sp)}${valuesText(r, metrics, wellFormed, sp)}`];
  } else {
    const n = 1 + Math.floor(r() * 12);
    const readings: string[] = [];
    for (let i = 0; i < n; i++) {
      // Mostly the same metrics in the same order per message, as devices send them.
      const m = !wellFormed && r() < 0.15 ? metricsFor(r, deviceId, true) : metrics;
      const parts = [`"ts":${tsText(r, wellFormed)}`, `"values":${valuesText(r, m, wellFormed, sp)}`];
      if (r() < 0.3) parts.reverse();
      if (!wellFormed && r() < 0.05) parts.push('"extra":1');
      readings.push(`{${ws(r, sp)}${parts.join(`,${ws(r, sp)}`)}${ws(r, sp)}}`);
    }
    fields = [`"seq":${seq}`, `"readings":${ws(r, sp)}[${readings.join(`,${ws(r, sp)}`)}]`];
  }
  if (r() < 0.3) fields.reverse();
  if (!wellFormed && r() < 0.1) fields.push(pick(r, ['"seq":2', '"extra":true', '"ts":1', '"values":{}']));
  return `${ws(r, sp)}{${ws(r, sp)}${fields.join(`,${ws(r, sp)}`)}${ws(r, sp)}}${ws(r, sp)}`;
}

const DEVICES = ['air-1', 'air 2,x=站', 'water-1', 'noise-1', 'ps-1', 'prof-1', 'nobody'];

test('well-formed messages: the one pass gives exactly the validated result, and takes almost all of them', () => {
  const r = seededRandom(16);
  fastTaken = 0;
  compared = 0;
  for (let i = 0; i < 4000; i++) {
    const deviceId = pick(r, DEVICES.slice(0, 4));
    check(deviceId, Buffer.from(message(r, deviceId, true)), `well-formed #${i}`);
  }
  // Out-of-range values, exponents etc. are in the well-formed mix: most, not all, go the one pass.
  assert.ok(fastTaken > compared * 0.6, `one pass taken for ${fastTaken} of ${compared}`);
});

test('edge cases and odd forms (ts forms, NaN, huge numbers, duplicate and extra keys, escapes, unicode, hostile names): same result either way', () => {
  const r = seededRandom(1606);
  for (let i = 0; i < 6000; i++) {
    const deviceId = pick(r, DEVICES);
    check(deviceId, Buffer.from(message(r, deviceId, r() < 0.3)), `edge #${i}`);
  }
  const fixed = [
    '{"seq":1,"ts":1794999000000,"values":{"pm25":35.2,"pm25":36}}',
    '{"seq":1,"seq":2,"ts":1794999000000,"values":{"pm25":35.2}}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":{"v":1,"v":2}}}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":35.2}}garbage',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":35.2}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":NaN}}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":1e999}}',
    '{"seq":1,"ts":1794999000000,"values":{"\\u0070m25":35.2}}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":35.2},"extra":"字段"}',
    '{"seq":1,"ts":"2026-11-17T10:00:00Z","values":{"pm25":35.2}}',
    '{"seq":1,"ts":1794999000000,"values":{}}',
    '{"seq":1,"readings":[]}',
    '{"seq":1,"readings":[{"ts":1794999000000,"values":{"pm25":1}},{"ts":1794999000001,"values":{"pm10":1}}]}',
    '{"seq":1,"readings":[{"ts":1794999000000,"values":{"pm25":1,"pm10":2}},{"ts":1794999000001,"values":{"pm25":1}}]}',
    '{"seq":1,"readings":[{"ts":1794999000000,"values":{"pm25":1}},{"ts":1,"values":{"pm25":1}}]}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":-0,"pm10":0.0000001,"so2":12345678901234567890,"co":0.10}}',
    '{"seq":1,"ts":1794999000000,"values":{"pm25":{"v":5000,"q":"N"},"pm10":{"v":9999},"so2":{"q":"M","v":99999}}}',
    '{"seq":9007199254740991,"ts":1794999000000,"values":{"pm25":1}}',
    '\ufeff{"seq":1,"ts":1794999000000,"values":{"pm25":1}}',
    '  \n{"seq":1,"ts":1794999000000,"values":{"pm25":1}}\n',
    '{"seq":1,"readings":[' + Array.from({ length: 1001 }, (_, i) => `{"ts":${1794999000000 + i},"values":{"pm25":1}}`).join(',') + ']}',
    '{"seq":1,"ts":1794999000000,"values":{' + Array.from({ length: 65 }, (_, i) => `"m${i}":1`).join(',') + '}}',
  ];
  for (const deviceId of DEVICES) for (const text of fixed) check(deviceId, Buffer.from(text), 'fixed');
  // Not JSON at all: CBOR of the same shapes, bytes, invalid UTF-8 inside a string.
  for (const deviceId of DEVICES) {
    check(deviceId, encodePayload({ seq: 1, ts: NOW - 1000, values: { pm25: 35.2 } }, 'cbor'), 'cbor');
    check(deviceId, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'invalid utf-8');
    check(deviceId, Buffer.alloc(0), 'empty');
  }
});

test('byte mutations of well-formed messages: same result either way', () => {
  const r = seededRandom(2026);
  const alphabet = '{}[],:"\\ .-+eE0123456789vqN\n';
  for (let i = 0; i < 8000; i++) {
    const deviceId = pick(r, DEVICES.slice(0, 4));
    let text = message(r, deviceId, true);
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * text.length);
      const op = r();
      if (op < 0.35) text = text.slice(0, at) + text.slice(at + 1);
      else if (op < 0.7) text = text.slice(0, at) + pick(r, [...alphabet]) + text.slice(at);
      else if (op < 0.85) text = text.slice(0, at) + pick(r, [...alphabet]) + text.slice(at + 1);
      else text = text.slice(0, at) + text.slice(at, at + 8) + text.slice(at);
    }
    check(deviceId, Buffer.from(text), `mutation #${i}`);
  }
});

test('a station changed (new object, or the same id with other tags) gets lines with its new tags; its field layout follows each message', () => {
  const id = 'moving-1';
  const payload = (values: string) => Buffer.from(`{"seq":1,"ts":${NOW - 1000},"values":${values}}`);
  stations.set(id, { ...base, id, region: '440106' });
  check(id, payload('{"pm25":1,"pm10":2}'), 'first');
  const before = acceptReadings(ctx, id, 't', payload('{"pm25":1,"pm10":2}'));
  stations.set(id, { ...base, id, region: '440999', department: 'new dept' });
  check(id, payload('{"pm25":1,"pm10":2}'), 'moved');
  const after = acceptReadings(ctx, id, 't', payload('{"pm25":1,"pm10":2}'));
  assert.match(before.lines, /region=440106/);
  assert.match(after.lines, /dept=new\\ dept,.*region=440999/);
  // Layout changes between messages: other metrics, fewer, other order, back again.
  for (const values of ['{"pm10":2}', '{"pm25":1,"pm10":2,"co":0.5}', '{"co":0.5,"pm25":1}', '{"pm25":1}', '{"pm25":1,"pm10":2}']) {
    check(id, payload(values), values);
    assert.ok(onePassReadings(stations.get(id)!, 'air', payload(values), { nowMs: NOW, maxFutureSkewMs: 300_000, maxAgeMs: 86_400_000 }), `one pass for ${values}`);
  }
});
