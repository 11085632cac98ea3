import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DOMAIN_SPECS, COMMON_METRICS } from '@shanshui/models';
import { parseSl651Report } from './report.ts';
import type { Sl651Report } from './report.ts';
import { encodeSl651ReportBody } from './encode.ts';
import type { Sl651ElementInput } from './encode.ts';
import { sl651ToReadings } from './to-readings.ts';
import { SL651_ELEMENT_MAP, SL651_METRICS_NOT_IN_MODELS, resolveSl651Element, sl651ElementKey } from './element-map.ts';

const OBSERVED = new Date('2024-06-01T00:00:00Z');

function report(functionCode: number, groups: Array<{ observedAt: Date; elements: Sl651ElementInput[] }>): Sl651Report {
  const body = encodeSl651ReportBody({ station: '0012345678', functionCode, serial: 1, sentAt: OBSERVED, stationClass: 0x4b, groups });
  const result = parseSl651Report(body, functionCode);
  assert.ok(result.ok);
  return result.report;
}

test('SL 651 §2.3 timed (32), added (33) and hourly (34) reports give readings of matching kind', () => {
  for (const [fn, kind] of [[0x32, 'timed'], [0x33, 'added'], [0x34, 'hourly']] as const) {
    const out = sl651ToReadings(report(fn, [{ observedAt: OBSERVED, elements: [{ key: '3B', value: 101.25 }, { key: '1A', value: 3.5 }, { key: '38', value: 12.6 }] }]));
    assert.deepEqual(out.readings, [
      {
        source: '0012345678',
        ts: OBSERVED,
        kind,
        values: { water_level: { value: 101.25, quality: 'ok' }, rainfall: { value: 3.5, quality: 'ok' }, supply_voltage: { value: 12.6, quality: 'ok' } },
      },
    ]);
    assert.deepEqual(out.unknownElements, []);
  }
});

test('SL 651 §2.4 DRP/DRZ1 arrays become twelve 5-minute readings; invalid slots are dropped and listed', () => {
  const first = new Date('2024-06-01T00:05:00Z');
  const out = sl651ToReadings(
    report(0x34, [
      { observedAt: first, elements: [{ key: 'F4', values: [0, 0.5, null, 1, 0, 0, 0, 0, 0, 0, 0, 2.5] }, { key: 'F5', values: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, null] }] },
      { observedAt: new Date('2024-06-01T01:00:00Z'), elements: [{ key: '1A', value: 4.5 }] },
    ]),
  );
  const fiveMin = out.readings.filter((r) => r.kind === '5min');
  assert.equal(fiveMin.length, 12);
  assert.deepEqual(fiveMin[0]?.ts, first);
  assert.deepEqual(fiveMin[11]?.ts, new Date('2024-06-01T01:00:00Z'));
  assert.deepEqual(fiveMin[1]?.values, { rainfall_5min: { value: 0.5, quality: 'ok' }, water_level_relative: { value: 1, quality: 'ok' } });
  assert.deepEqual(fiveMin[2]?.values, { water_level_relative: { value: 1, quality: 'ok' } });
  assert.deepEqual(fiveMin[11]?.values, { rainfall_5min: { value: 2.5, quality: 'ok' } });
  assert.deepEqual(out.invalid, ['F4', 'F5']);
  const hourly = out.readings.filter((r) => r.kind === 'hourly');
  assert.deepEqual(hourly.map((r) => r.values), [{ rainfall: { value: 4.5, quality: 'ok' } }]);
});

test('SL 651 §2.4 array time anchor is configurable: "last" puts the twelfth value at the observation time', () => {
  const out = sl651ToReadings(report(0x34, [{ observedAt: new Date('2024-06-01T01:00:00Z'), elements: [{ key: 'F4', values: Array(12).fill(0.1) }] }]), { arrayTimeAnchor: 'last' });
  assert.deepEqual(out.readings[0]?.ts, new Date('2024-06-01T00:05:00Z'));
  assert.deepEqual(out.readings[11]?.ts, new Date('2024-06-01T01:00:00Z'));
});

test('SL 651 §2.2 invalid values are dropped; unknown identifiers reported; overrides map, scale or ignore', () => {
  const r = report(0x32, [{ observedAt: OBSERVED, elements: [{ key: '39', value: null }, { key: '03', value: 18.5, digits: 3, decimals: 1 }, { key: '38', value: 12 }, { key: '45', status: 1 }] }]);
  const plain = sl651ToReadings(r);
  assert.deepEqual(plain.invalid, ['39']);
  assert.deepEqual(plain.unknownElements, ['03']);
  assert.deepEqual(Object.keys(plain.readings[0]?.values ?? {}), ['supply_voltage']);
  const tuned = sl651ToReadings(r, { elements: { '03': { metric: 'water_temperature' }, '38': { metric: 'supply_voltage', scale: 1000 } } });
  assert.deepEqual(tuned.unknownElements, []);
  assert.equal(tuned.readings[0]?.values.water_temperature?.value, 18.5);
  assert.equal(tuned.readings[0]?.values.supply_voltage?.value, 12000);
  assert.deepEqual(sl651ToReadings(r, { elements: { '03': null } }).unknownElements, []);
});

test('SL 651 §2.2 the station comes from F1 F1, else from the option; without either there is no reading', () => {
  const r = report(0x32, [{ observedAt: OBSERVED, elements: [{ key: '38', value: 12 }] }]);
  delete r.station;
  assert.deepEqual(sl651ToReadings(r).readings, []);
  assert.equal(sl651ToReadings(r, { station: '0099999999' }).readings[0]?.source, '0099999999');
});

test('SL 651 §2.4 element map: required identifiers, keys, and the metrics models lacks', () => {
  const expected: Record<string, string> = {
    '1A': 'rainfall', '1F': 'rainfall_day', '20': 'rainfall_current', '26': 'rainfall_total', '39': 'water_level',
    '3B': 'water_level', '3A': 'downstream_level', '27': 'flow', '38': 'supply_voltage', '10': 'moisture_vol_10cm',
    '11': 'moisture_vol_20cm', '17': 'moisture_vol_100cm',
  };
  for (const [key, metric] of Object.entries(expected)) assert.equal(SL651_ELEMENT_MAP[key]?.metric, metric, key);
  assert.equal(sl651ElementKey(0x3b), '3B');
  assert.equal(sl651ElementKey(0xff10), 'FF10');
  assert.equal(resolveSl651Element('39', { '39': null }), null);
  assert.equal(resolveSl651Element('FF10'), undefined);
  // Every mapped metric is either defined by models or listed as missing there.
  const known = new Set([...Object.values(DOMAIN_SPECS).flatMap((d) => Object.keys(d.metrics)), ...Object.keys(COMMON_METRICS)]);
  for (const { metric } of Object.values(SL651_ELEMENT_MAP)) {
    assert.ok(known.has(metric) || SL651_METRICS_NOT_IN_MODELS.includes(metric), metric);
  }
});
