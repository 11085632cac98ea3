/**
 * Our line protocol against the reference: `@influxdata/influxdb-client`'s Point, on hostile
 * measurement names, tag keys and values, field names and string values (every character the
 * protocol escapes, quotes, backslashes, unicode, empty strings), non-finite numbers and
 * thousands of random points.
 */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { Point } from '@influxdata/influxdb-client';
import { readingToPoint } from '@shanshui/models';
import type { PointData, Quality, Reading, StationTags } from '@shanshui/models';
import { readingsToLineProtocol, toLineProtocol } from './line-protocol.ts';
import { seededRandom as rng } from '@shanshui/models/testing';

/** The implementation before line-protocol.ts: one Point per point. */
function viaPoint(points: readonly PointData[]): string {
  const lines: string[] = [];
  for (const p of points) {
    const point = new Point(p.measurement);
    for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
    for (const [k, v] of Object.entries(p.fields)) {
      if (typeof v === 'number') point.floatField(k, v);
      else point.stringField(k, v);
    }
    point.timestamp(String(p.ts));
    const line = point.toLineProtocol();
    if (line) lines.push(line);
  }
  return lines.join('\n');
}

/** Whether toLineProtocol should throw for the point: a name or tag value it writes ends in a backslash (see the last test). */
function endsInBackslash(p: PointData): boolean {
  const bad = (s: string): boolean => s.endsWith('\\');
  if (!p.measurement) return false;
  const keys = Object.keys(p.fields).filter((k) => k);
  if (keys.some(bad)) return true;
  if (keys.length === 0) return false;
  return bad(p.measurement) || Object.entries(p.tags).some(([k, v]) => k && v && (bad(k) || bad(v)));
}

/** Point's text where line protocol can carry the points; the backslash error where it cannot. */
function assertLikePoint(points: readonly PointData[], message?: string): void {
  if (points.some(endsInBackslash)) assert.throws(() => toLineProtocol(points), /ending in a backslash/, message);
  else assert.equal(toLineProtocol(points), viaPoint(points), message);
}

const HOSTILE = ['', ' ', ',', '=', '"', '\\', '\n', '\r', '\t', 'a b', 'a,b', 'a=b', 'a"b', 'a\\b', 'a\\', '\\"', 'x\n=,"\\ \t\ry', '站 点,1', '广州=440100', 'é', '🌊 水', 'q_pm25', 'normal-id.01', '0', 'null', 'true'];

test('toLineProtocol matches Point on every hostile name and value (but a trailing backslash)', () => {
  for (const h of HOSTILE) {
    const points: PointData[] = [
      { measurement: h, tags: { station: 'st1' }, fields: { v: 1 }, ts: 1 },
      { measurement: 'm', tags: { [h]: 'x', other: h }, fields: { v: 2.5 }, ts: 2 },
      { measurement: 'm', tags: { t: h }, fields: { [h]: 3, s: h }, ts: 3 },
      { measurement: 'm', tags: {}, fields: { [h]: h }, ts: 1_795_000_000_123 },
    ];
    for (const p of points) assertLikePoint([p], JSON.stringify(p));
    assertLikePoint(points);
  }
});

test('toLineProtocol matches Point on numbers, empty fields and sort order', () => {
  const numbers = [0, -0, 1, -1, 0.1, 1e21, 1e-7, -123.456, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2];
  for (const n of numbers) {
    const p: PointData = { measurement: 'air', tags: { b: '2', a: '1', A: '0', _: '3' }, fields: { z: n, Z: n, a: n, q_a: 'M' }, ts: 1_795_000_000_000 };
    assert.equal(toLineProtocol([p]), viaPoint([p]));
  }
  // No fields, empty measurement: no line at all.
  const skipped: PointData[] = [
    { measurement: 'air', tags: { a: '1' }, fields: {}, ts: 1 },
    { measurement: '', tags: { a: '1' }, fields: { v: 1 }, ts: 1 },
    { measurement: 'air', tags: {}, fields: { '': 1 }, ts: 1 },
    { measurement: 'air', tags: { a: '1' }, fields: { v: 1 }, ts: 5 },
  ];
  assert.equal(toLineProtocol(skipped), viaPoint(skipped));
  assert.equal(toLineProtocol([]), viaPoint([]));
  // Fractional timestamps pass through as text, as before.
  const frac: PointData = { measurement: 'air', tags: {}, fields: { v: 1 }, ts: 1.5 };
  assert.equal(toLineProtocol([frac]), viaPoint([frac]));
});

test('a non-finite number throws the same error as Point', () => {
  for (const n of [NaN, Infinity, -Infinity]) {
    const p: PointData = { measurement: 'air', tags: {}, fields: { v: n }, ts: 1 };
    assert.throws(() => viaPoint([p]), (err: Error) => {
      assert.throws(() => toLineProtocol([p]), { message: err.message });
      return true;
    });
  }
});

test('random points match Point (or throw on a trailing backslash)', () => {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chars = 'ab ,=\n\r\t"\\é水_q0';
  const str = (): string => (r() < 0.3 ? pick(HOSTILE) : Array.from({ length: Math.floor(r() * 6) }, () => pick([...chars])).join(''));
  for (let i = 0; i < 3000; i++) {
    const tags: Record<string, string> = {};
    const fields: Record<string, number | string> = {};
    for (let j = Math.floor(r() * 5); j > 0; j--) tags[str()] = str();
    for (let j = Math.floor(r() * 6); j > 0; j--) fields[str()] = r() < 0.6 ? (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10) : str();
    const p: PointData = { measurement: str(), tags, fields, ts: Math.floor(r() * 2e12) };
    assertLikePoint([p], JSON.stringify(p));
  }
});

test('readingsToLineProtocol equals toLineProtocol of readingToPoint, cached station prefix included', () => {
  const r = rng(7);
  const qualities: Quality[] = ['ok', 'ok', 'ok', 'maintenance', 'implausible', 'spike', 'fault'];
  const metrics = ['pm25', 'pm10', 'so2', 'no2', 'o3', 'co', 'temperature', 'a b', 'x=y', 'q', 'q_', 'q_pm25', '水位', ''];
  // Hostile domains too (the registry only holds known ones, but escaping must not depend on that).
  const stations = HOSTILE.map((h, i) => ({ id: i % 2 ? h || 'x' : `st-${i}`, domain: i % 3 ? 'air' : h, region: i % 4 ? '440100' : h, department: i % 5 ? 'eco-env' : h }) as unknown as StationTags);
  for (let i = 0; i < 2000; i++) {
    const station = stations[i % stations.length]!;
    const readings: Reading[] = [];
    for (let k = Math.floor(r() * 4); k >= 0; k--) {
      const values: Record<string, { v: number; q: Quality }> = {};
      for (let j = Math.floor(r() * 7); j > 0; j--) values[metrics[Math.floor(r() * metrics.length)]!] = { v: (r() - 0.3) * 1000, q: qualities[Math.floor(r() * qualities.length)]! };
      readings.push({ ts: 1_795_000_000_000 + Math.floor(r() * 1e6), values });
    }
    if (station.domain && [station.domain, station.id, station.region, station.department].some((t) => t.endsWith('\\'))) {
      assert.throws(() => readingsToLineProtocol(station, readings), /ending in a backslash/);
      continue;
    }
    const expected = viaPoint(readings.map((x) => readingToPoint(station, x)));
    assert.equal(readingsToLineProtocol(station, readings), expected, JSON.stringify({ station, readings }));
    assert.equal(readingsToLineProtocol(station, readings), expected, 'second call (cached prefix)');
  }
});

test('a station changed in place never gets a stale prefix', () => {
  const station: { id: string; domain: StationTags['domain']; region: string; department: string } = { id: 'st-1', domain: 'air', region: '440100', department: 'eco-env' };
  const reading: Reading = { ts: 1, values: { pm25: { v: 1, q: 'ok' } } };
  assert.equal(readingsToLineProtocol(station, [reading]), 'air,dept=eco-env,domain=air,region=440100,station=st-1 pm25=1,q_pm25="ok" 1');
  station.region = '440106';
  station.department = 'wa ter';
  assert.equal(readingsToLineProtocol(station, [reading]), viaPoint([readingToPoint(station, reading)]));
  assert.equal(readingsToLineProtocol(station, [reading]), 'air,dept=wa\\ ter,domain=air,region=440106,station=st-1 pm25=1,q_pm25="ok" 1');
});

test('a station whose readings keep the same metrics (the cached field layout) still matches Point', () => {
  const r = rng(11);
  const station: StationTags = { id: 'st a=1', domain: 'air', region: '440100', department: 'eco-env' };
  const layouts = [['pm25', 'pm10', 'so2', 'no2', 'o3', 'co'], ['co', 'pm25'], ['x y', 'a,b', 'Z', 'é']];
  for (let i = 0; i < 3000; i++) {
    const layout = layouts[Math.floor(i / 500) % layouts.length]!;
    const readings: Reading[] = Array.from({ length: 1 + Math.floor(r() * 10) }, (_, k) => ({
      ts: 1_795_000_000_000 + i * 10 + k,
      values: Object.fromEntries(layout.map((m) => [m, { v: (r() - 0.2) * 500, q: (r() < 0.05 ? 'maintenance' : 'ok') as Quality }])),
    }));
    assert.equal(readingsToLineProtocol(station, readings), viaPoint(readings.map((x) => readingToPoint(station, x))));
  }
});

test('a measurement, tag key, tag value or field key ending in a backslash throws: line protocol cannot carry it', () => {
  // Point writes `door\` as is and the backslash escapes the separator after it: InfluxDB answers
  // 400 "invalid tag format" for the whole write (checked against influxd 1.6, even for `x\\`).
  // A backslash anywhere else is stored as sent, so only the end is refused.
  for (const h of ['\\', 'door\\', 'x\\\\', '门\\', 'a b\\']) {
    const points: PointData[] = [
      { measurement: h, tags: { station: 'st1' }, fields: { v: 1 }, ts: 1 },
      { measurement: 'm', tags: { t: h }, fields: { v: 1 }, ts: 1 },
      { measurement: 'm', tags: { [h]: 'x' }, fields: { v: 1 }, ts: 1 },
      { measurement: 'm', tags: {}, fields: { [h]: 1 }, ts: 1 },
    ];
    for (const p of points) {
      assert.throws(() => toLineProtocol([p]), { message: `line protocol cannot carry a name or tag value ending in a backslash: ${JSON.stringify(h)}` }, JSON.stringify(p));
    }
    const station = { id: 'st-1', domain: 'air', region: '440100', department: h } as unknown as StationTags;
    assert.throws(() => readingsToLineProtocol(station, [{ ts: 1, values: { pm25: { v: 1, q: 'ok' } } }]), /ending in a backslash/);
  }
  // A string field value ending in a backslash is quoted and escaped: carried as sent.
  assert.equal(toLineProtocol([{ measurement: 'm', tags: { t: 'a\\b' }, fields: { s: 'door\\' }, ts: 1 }]), 'm,t=a\\b s="door\\\\" 1');
});
