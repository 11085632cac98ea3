import { test } from 'vitest';
import assert from 'node:assert/strict';
import { parseHj212Packet } from './packet.ts';
import type { Hj212Packet } from './packet.ts';
import { hj212ToReadings } from './to-readings.ts';
import { resolveFactor } from './factor-map.ts';
import { formatHj212Time, parseHj212Time } from './hj212-time.ts';
import { VERIFIED_PACKETS } from './verified-packets.fixture.ts';
import { HJ212_DEFAULT_TABLE, hj212CodeTableFor, metricSpec } from '@shanshui/models';

function packet(cn: string, cp: string, mn = 'MN-1'): Hj212Packet {
  const result = parseHj212Packet(`QN=20240601120000000;ST=22;CN=${cn};PW=123456;MN=${mn};Flag=5;CP=&&${cp}&&`);
  assert.ok(result.ok);
  return result.packet;
}

test('HJ 212 §1.8 CN 2011 real-time data uses Rtd; DataTime is UTC+8 local time', () => {
  const out = hj212ToReadings(packet('2011', 'DataTime=20240601120000;a34004-Rtd=35.2,a34004-Flag=N;a01001-Rtd=-3.5'));
  assert.deepEqual(out.readings, [
    {
      source: 'MN-1',
      ts: new Date('2024-06-01T04:00:00.000Z'),
      kind: 'realtime',
      values: { pm25: { value: 35.2, quality: 'ok' }, temperature: { value: -3.5, quality: 'ok' } },
    },
  ]);
  assert.deepEqual(out.unknownFactors, []);
  assert.deepEqual(out.notes, []);
});

test('HJ 212 §1.8 CN 2051/2061/2031 give minute/hour/day kinds; Avg is the metric, Min/Max/Cou and 折算 Zs* are fields of their own', () => {
  const cp = 'DataTime=20240601120000;a21026-Avg=20,a21026-Min=18,a21026-Max=25,a21026-Cou=1.5,a21026-ZsAvg=23,a21026-ZsMin=21,a21026-ZsMax=28,a21026-Flag=N;a00000-Avg=90,a00000-Cou=5400';
  const table = hj212CodeTableFor('pollution_source');
  for (const [cn, kind] of [['2051', 'minute'], ['2061', 'hour'], ['2031', 'day']] as const) {
    const out = hj212ToReadings(packet(cn, cp), { table });
    assert.equal(out.readings[0]?.kind, kind);
    const ok = (value: number) => ({ value, quality: 'ok' });
    assert.deepEqual(out.readings[0]?.values, {
      so2: ok(20), so2_min: ok(18), so2_max: ok(25), so2_cou: ok(1.5), so2_zs: ok(23), so2_zs_min: ok(21), so2_zs_max: ok(28), gas_flow: ok(90), gas_flow_cou: ok(5400),
    });
    assert.deepEqual(out.deadFields, []);
  }
});

test('HJ 212 §1.6 a suffix that is no value of this CN (Rtd in hour data), Cou of a metric without totals, Zs of one without 折算: dead fields, not silently dropped', () => {
  const out = hj212ToReadings(packet('2061', 'DataTime=20240601120000;w01001-Avg=7.2,w01001-Rtd=9,w01001-Cou=3,w01001-ZsAvg=1,w01001-Foo=2'));
  assert.deepEqual(out.readings[0]?.values, { ph: { value: 7.2, quality: 'ok' } });
  assert.deepEqual(out.deadFields.map((f) => `${f.code}-${f.suffix}=${f.value}`), ['w01001-Rtd=9', 'w01001-Cou=3', 'w01001-ZsAvg=1', 'w01001-Foo=2']);
  assert.match(out.deadFields[1]?.reason ?? '', /no emission total/);
});

test('HJ 212 §1.6 the value suffix is configurable per CN', () => {
  const out = hj212ToReadings(packet('2061', 'DataTime=20240601120000;w01001-Avg=7.2,w01001-Max=7.4'), { valueSuffix: { '2061': 'Max' } });
  assert.equal(out.readings[0]?.values.ph?.value, 7.4);
});

test('HJ 212 §1.9 data flags map to qualities; an unknown letter becomes fault with a note', () => {
  const cp = 'DataTime=20240601120000;w01001-Rtd=7,w01001-Flag=N;w01009-Rtd=8,w01009-Flag=M;w01010-Rtd=20,w01010-Flag=D;' +
    'w01014-Rtd=300,w01014-Flag=T;w01003-Rtd=5,w01003-Flag=Z;w21003-Rtd=0.1,w21003-Flag=c';
  const out = hj212ToReadings(packet('2011', cp));
  const v = out.readings[0]?.values;
  assert.equal(v?.ph?.quality, 'ok');
  assert.equal(v?.do?.quality, 'maintenance');
  assert.equal(v?.water_temperature?.quality, 'fault');
  assert.equal(v?.conductivity?.quality, 'over_range');
  assert.equal(v?.turbidity?.quality, 'fault');
  assert.equal(v?.nh3n?.quality, 'calibration', 'flag letters are matched case-insensitively');
  assert.equal(out.notes.length, 1);
  assert.match(out.notes[0] ?? '', /w01003-Flag="Z"/);
});

test('HJ 212 §1.10 unknown factor codes become dead fields with their code, not fatal; overrides map, rename, scale or ignore', () => {
  const cp = 'DataTime=20240601120000;a34004-Rtd=10;a99999-Rtd=1;x12345-Rtd=100,x12345-Flag=N;a21005-Rtd=800';
  const plain = hj212ToReadings(packet('2011', cp));
  assert.deepEqual(plain.unknownFactors, ['a99999', 'x12345']);
  assert.deepEqual(plain.deadFields, [
    { code: 'a99999', suffix: 'Rtd', value: '1', reason: "factor code a99999 is not in the station's code table" },
    { code: 'x12345', suffix: 'Rtd', value: '100', reason: "factor code x12345 is not in the station's code table" },
  ]);
  assert.deepEqual(Object.keys(plain.readings[0]?.values ?? {}), ['pm25', 'co']);
  const tuned = hj212ToReadings(packet('2011', cp), {
    factors: { a99999: null, x12345: { metric: 'pm10', domain: 'air' }, a21005: { metric: 'co', domain: 'air', scale: 0.001 } },
  });
  assert.deepEqual(tuned.unknownFactors, []);
  assert.deepEqual(tuned.deadFields, []);
  assert.equal(tuned.readings[0]?.values.pm10?.value, 100);
  assert.equal(tuned.readings[0]?.values.co?.value, 0.8);
});

test('HJ 212 §1.10 codes beyond the first table map: TSP, NOx, NO, NMHC, noise LA; flue gas and heavy metals at a pollution source', () => {
  const ambient = hj212ToReadings(packet('2011', 'DataTime=20240601120000;a34001-Rtd=120;a21002-Rtd=40;a21003-Rtd=10;a24088-Rtd=0.8;LA-Rtd=55.5;w01012-Rtd=12;w01020-Rtd=3;w21016-Rtd=0.01;w22001-Rtd=0.05;w23002-Rtd=0.002;w20111-Rtd=0.05;w20115-Rtd=1;w20117-Rtd=5;w20119-Rtd=3;w20120-Rtd=4'));
  assert.deepEqual(ambient.unknownFactors, []);
  assert.deepEqual(Object.keys(ambient.readings[0]?.values ?? {}).sort(), ['as', 'cd', 'cr6', 'cyanide', 'hg', 'la', 'nmhc', 'no', 'nox', 'pb', 'petroleum', 'ss', 'toc', 'tsp', 'volatile_phenol'].sort());
  const stack = hj212ToReadings(packet('2061', 'DataTime=20240601120000;a00000-Avg=90;a19001-Avg=8;w00000-Avg=12'), { table: hj212CodeTableFor('pollution_source') });
  assert.deepEqual(stack.unknownFactors, []);
  assert.deepEqual(Object.keys(stack.readings[0]?.values ?? {}), ['gas_flow', 'o2', 'water_flow']);
});

test('HJ 212 §1.10 verified packet 4 (a34006…a34049) has only codes outside the map', () => {
  const result = parseHj212Packet(VERIFIED_PACKETS[3]?.slice(6, -6) ?? '');
  assert.ok(result.ok);
  const out = hj212ToReadings(result.packet);
  assert.deepEqual(out.readings, []);
  assert.deepEqual(out.unknownFactors, ['a34006', 'a34007', 'a34048', 'a34047', 'a34049']);
  assert.deepEqual([...new Set(out.deadFields.map((f) => f.code))], out.unknownFactors, 'each unknown code kept as dead fields');
});

test('HJ 212 §1.6 non-numeric values are dropped with a note; missing or invalid DataTime drops the packet', () => {
  const bad = hj212ToReadings(packet('2011', 'DataTime=20240601120000;a34004-Rtd=;a34002-Rtd=abc;a01001-Rtd=1e1'));
  assert.deepEqual(bad.readings[0]?.values, { temperature: { value: 10, quality: 'ok' } });
  assert.equal(bad.notes.length, 2);
  for (const cp of ['a34004-Rtd=1', 'DataTime=20240230120000;a34004-Rtd=1', 'DataTime=2024;a34004-Rtd=1']) {
    const out = hj212ToReadings(packet('2011', cp));
    assert.deepEqual(out.readings, [], cp);
    assert.match(out.notes.at(-1) ?? '', /DataTime/);
  }
});

test('HJ 212 §1.8 packets that are not data uploads give no readings', () => {
  assert.deepEqual(hj212ToReadings(packet('9011', 'QnRtn=1')).readings, []);
  assert.deepEqual(hj212ToReadings(packet('2021', 'DataTime=20240601120000;a34004-Rtd=1')).readings, []);
});

test('HJ 212 §1.4 time: the UTC offset is a parameter; QN carries milliseconds', () => {
  assert.deepEqual(parseHj212Time('20240601120000', 0), new Date('2024-06-01T12:00:00Z'));
  assert.deepEqual(parseHj212Time('20240601120000'), new Date('2024-06-01T04:00:00Z'));
  assert.deepEqual(parseHj212Time('20160801085857223'), new Date('2016-08-01T00:58:57.223Z'));
  assert.equal(parseHj212Time('20241301000000'), undefined);
  assert.equal(parseHj212Time('2024060112000'), undefined);
  const out = hj212ToReadings(packet('2011', 'DataTime=20240601120000;a34004-Rtd=1'), { utcOffsetMinutes: 0 });
  assert.deepEqual(out.readings[0]?.ts, new Date('2024-06-01T12:00:00Z'));
  assert.equal(formatHj212Time(new Date('2016-08-01T00:58:57.223Z'), 480, true), '20160801085857223');
  assert.equal(formatHj212Time(new Date('2024-06-01T04:00:00Z')), '20240601120000');
});

test('HJ 212 §1.10 default table (no domain configured): the codes ambient and surface-water stations send, uppercase codes tolerated', () => {
  const expected: Record<string, string> = {
    a34004: 'pm25', a34002: 'pm10', a21026: 'so2', a21004: 'no2', a05024: 'o3', a21005: 'co', a01001: 'temperature',
    a01002: 'humidity', a01006: 'pressure', a01007: 'wind_speed', a01008: 'wind_direction', w01001: 'ph', w01009: 'do',
    w01010: 'water_temperature', w01014: 'conductivity', w01003: 'turbidity', w01019: 'codmn', w01018: 'cod',
    w01017: 'bod5', w21003: 'nh3n', w21011: 'tp', w21001: 'tn', Leq: 'laeq', LMx: 'lmax',
  };
  for (const [code, metric] of Object.entries(expected)) {
    assert.equal(HJ212_DEFAULT_TABLE.get(code)?.id, metric, code);
    const domain = code.startsWith('a') ? 'air' : code.startsWith('w') ? 'water' : 'noise';
    assert.ok(metricSpec(domain, metric), `${code} → ${domain}.${metric} exists in models`);
  }
  assert.equal(resolveFactor('A34004')?.metric, 'pm25');
  assert.equal(resolveFactor('a00000'), undefined, 'waste gas flow is a pollution-source code');
  assert.equal(resolveFactor('a00000', {}, hj212CodeTableFor('pollution_source'))?.metric, 'gas_flow');
  assert.equal(resolveFactor('a34004', { a34004: null }), null);
});
