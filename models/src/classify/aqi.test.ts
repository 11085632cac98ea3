import { test } from 'vitest';
import assert from 'node:assert/strict';
import {
  AQI_BREAKPOINTS,
  AQI_LEVELS,
  AQI_POLLUTANTS,
  IAQI_ANCHORS,
  aqiLevelFor,
  computeAqi,
  computeRealtimeAqi,
  iaqi,
  realtimeAqiInputs,
  realtimeAqiLevel,
} from './aqi.ts';
import { ClassifyError } from './classify-error.ts';

test('HJ 633 table 1: every breakpoint scores its IAQI anchor', () => {
  for (const p of AQI_POLLUTANTS) {
    AQI_BREAKPOINTS[p].forEach((bp, i) => assert.equal(iaqi(p, bp), IAQI_ANCHORS[i], `${p} @ ${bp}`));
  }
});

test('HJ 633 formula 1: midpoints between breakpoints interpolate linearly to exact anchors', () => {
  for (const p of AQI_POLLUTANTS) {
    const bps = AQI_BREAKPOINTS[p];
    for (let i = 0; i + 1 < bps.length; i++) {
      const mid = (bps[i]! + bps[i + 1]!) / 2;
      assert.equal(iaqi(p, mid), (IAQI_ANCHORS[i]! + IAQI_ANCHORS[i + 1]!) / 2, `${p} @ ${mid}`);
    }
  }
});

test('HJ 633 table 1 breakpoints are the docs/standards/hj633-aqi.md §3 numbers', () => {
  assert.deepEqual(AQI_BREAKPOINTS.pm25_24h, [0, 35, 75, 115, 150, 250, 350, 500]);
  assert.deepEqual(AQI_BREAKPOINTS.so2_24h, [0, 50, 150, 475, 800, 1600, 2100, 2620]);
  assert.deepEqual(AQI_BREAKPOINTS.so2_1h, [0, 150, 500, 650, 800]);
  assert.deepEqual(AQI_BREAKPOINTS.o3_8h, [0, 100, 160, 215, 265, 800]);
  assert.deepEqual(AQI_BREAKPOINTS.co_1h, [0, 5, 10, 35, 60, 90, 120, 150]);
});

test('HJ 633 §5 IAQI rounds up: PM2.5 35 → 50, 35.1 → 51, 75 → 100, 75.1 → 101', () => {
  assert.equal(iaqi('pm25_24h', 35), 50);
  assert.equal(iaqi('pm25_24h', 35.1), 51);
  assert.equal(iaqi('pm25_24h', 75), 100);
  assert.equal(iaqi('pm25_24h', 75.1), 101);
  assert.equal(iaqi('pm25_24h', 115), 150);
  assert.equal(iaqi('pm25_24h', 115.1), 151);
  assert.equal(iaqi('pm25_24h', 100), 132); // 131.25 ↑
  assert.equal(iaqi('pm25_24h', 10), 15); // 14.29 ↑
  assert.equal(iaqi('pm25_24h', 0), 0);
});

test('HJ 633 formula 1: exact results are not pushed up by float noise (CO 2.2 mg/m³ → 55)', () => {
  assert.equal(iaqi('co_24h', 2.2), 55);
  assert.equal(iaqi('pm10_24h', 200), 125);
  assert.equal(iaqi('no2_24h', 60), 75);
});

test('HJ 633 table 1 note: SO2-1h above 800 is not scored (the 24h IAQI is reported instead)', () => {
  assert.equal(iaqi('so2_1h', 800), 200);
  assert.equal(iaqi('so2_1h', 800.1), null);
  assert.equal(iaqi('so2_24h', 801), 201); // 200.125 ↑ on the 24h table
});

test('HJ 633 table 1 note: O3-8h above 800 is not scored (the 1h IAQI is reported instead)', () => {
  assert.equal(iaqi('o3_8h', 800), 300);
  assert.equal(iaqi('o3_8h', 801), null);
  assert.equal(iaqi('o3_8h', 266), 201); // 200.19 ↑
});

test('HJ 633 table 1: 24h and 1h tables are distinct (known bug: SO2 1h table used for 24h)', () => {
  assert.equal(iaqi('so2_24h', 150), 100);
  assert.equal(iaqi('so2_1h', 150), 50);
  assert.equal(iaqi('no2_24h', 40), 50);
  assert.equal(iaqi('no2_1h', 100), 50);
  assert.equal(iaqi('co_24h', 4), 100);
  assert.equal(iaqi('co_1h', 10), 100);
});

test('HJ 633 table 1: above the top breakpoint scores 500 (capped); invalid values are not scored', () => {
  assert.equal(iaqi('pm25_24h', 500), 500);
  assert.equal(iaqi('pm25_24h', 501), 500);
  assert.equal(iaqi('co_1h', 1000), 500);
  assert.equal(iaqi('pm25_24h', -0.1), null);
  assert.equal(iaqi('pm25_24h', Number.NaN), null);
  assert.equal(iaqi('pm25_24h', Number.POSITIVE_INFINITY), null);
});

test('HJ 633 table 2: AQI level boundaries 50/51, 100/101, 150/151, 200/201, 300/301', () => {
  const cases: [number, number, string, string][] = [
    [0, 1, '一级', '优'],
    [50, 1, '一级', '优'],
    [51, 2, '二级', '良'],
    [100, 2, '二级', '良'],
    [101, 3, '三级', '轻度污染'],
    [150, 3, '三级', '轻度污染'],
    [151, 4, '四级', '中度污染'],
    [200, 4, '四级', '中度污染'],
    [201, 5, '五级', '重度污染'],
    [300, 5, '五级', '重度污染'],
    [301, 6, '六级', '严重污染'],
    [500, 6, '六级', '严重污染'],
  ];
  for (const [aqi, level, levelName, category] of cases) {
    const info = aqiLevelFor(aqi);
    assert.deepEqual([info.level, info.levelName, info.category], [level, levelName, category], `AQI ${aqi}`);
  }
  assert.equal(aqiLevelFor(50.5).level, 2);
  assert.throws(() => aqiLevelFor(-1), ClassifyError);
  assert.throws(() => aqiLevelFor(Number.NaN), (e: unknown) => e instanceof ClassifyError && e.code === 'MODELS_ERR_CLASSIFY_VALUE_INVALID');
});

test('HJ 633 table 2: colours 绿 (0,228,0) 黄 橙 红 紫 褐红 with RGB and hex', () => {
  assert.deepEqual(
    AQI_LEVELS.map((l) => [l.color.name, [...l.color.rgb], l.color.hex]),
    [
      ['绿', [0, 228, 0], '#00E400'],
      ['黄', [255, 255, 0], '#FFFF00'],
      ['橙', [255, 126, 0], '#FF7E00'],
      ['红', [255, 0, 0], '#FF0000'],
      ['紫', [153, 0, 76], '#99004C'],
      ['褐红', [126, 0, 35], '#7E0023'],
    ],
  );
});

test('HJ 633 §5: AQI 50 has no primary pollutant even on a tie', () => {
  const r = computeAqi({ pm25_24h: 35, pm10_24h: 50, no2_24h: 40 });
  assert.ok(r);
  assert.equal(r.aqi, 50);
  assert.equal(r.level, 1);
  assert.equal(r.category, '优');
  assert.deepEqual(r.primaryPollutants, []);
  assert.deepEqual(r.exceedingPollutants, []);
});

test('HJ 633 §5: AQI 51 names the pollutant with the largest IAQI as primary', () => {
  const r = computeAqi({ pm25_24h: 35.1, pm10_24h: 40 });
  assert.ok(r);
  assert.equal(r.aqi, 51);
  assert.equal(r.category, '良');
  assert.equal(r.levelName, '二级');
  assert.equal(r.color.name, '黄');
  assert.deepEqual(r.primaryPollutants, ['pm25_24h']);
  assert.deepEqual(r.iaqi, { pm10_24h: 40, pm25_24h: 51 });
});

test('HJ 633 §5: ties name every pollutant with the largest IAQI', () => {
  const r = computeAqi({ pm25_24h: 75, pm10_24h: 150, no2_24h: 40 });
  assert.ok(r);
  assert.equal(r.aqi, 100);
  assert.deepEqual(r.primaryPollutants, ['pm10_24h', 'pm25_24h']);
  assert.deepEqual(r.exceedingPollutants, [], 'IAQI 100 is not above 100');
});

test('HJ 633 §5: 超标污染物 are those with IAQI > 100', () => {
  const r = computeAqi({ pm25_24h: 100, pm10_24h: 200, so2_24h: 50 });
  assert.ok(r);
  assert.equal(r.aqi, 132);
  assert.equal(r.level, 3);
  assert.equal(r.category, '轻度污染');
  assert.deepEqual(r.primaryPollutants, ['pm25_24h']);
  assert.deepEqual(r.exceedingPollutants, ['pm10_24h', 'pm25_24h']);
});

test('HJ 633 table 1 note: O3-8h > 800 falls back to the O3-1h IAQI', () => {
  const r = computeAqi({ o3_8h: 900, o3_1h: 900 });
  assert.ok(r);
  assert.equal(r.aqi, 350);
  assert.equal(r.level, 6);
  assert.deepEqual(r.primaryPollutants, ['o3_1h']);
  assert.equal(r.iaqi.o3_8h, undefined);
  assert.deepEqual(r.unscored, [{ pollutant: 'o3_8h', reason: 'o3_8h_above_800' }]);
});

test('HJ 633 table 1 note: SO2-1h > 800 falls back to the SO2-24h IAQI', () => {
  const r = computeAqi({ so2_1h: 900, so2_24h: 700 });
  assert.ok(r);
  assert.equal(r.aqi, 185); // 184.6 ↑ on the 24h table
  assert.equal(r.category, '中度污染');
  assert.deepEqual(r.primaryPollutants, ['so2_24h']);
  assert.deepEqual(r.unscored, [{ pollutant: 'so2_1h', reason: 'so2_1h_above_800' }]);
});

test('computeAqi reports invalid and above-scale inputs and returns null when nothing scores', () => {
  const r = computeAqi({ pm25_24h: Number.NaN, pm10_24h: 10, co_24h: 80 });
  assert.ok(r);
  assert.equal(r.aqi, 500);
  assert.deepEqual(r.aboveScale, ['co_24h']);
  assert.deepEqual(r.unscored, [{ pollutant: 'pm25_24h', reason: 'invalid' }]);
  assert.equal(computeAqi({}), null);
  assert.equal(computeAqi({ pm25_24h: -1 }), null);
  assert.equal(computeAqi({ o3_8h: 801 }), null);
});

test('HJ 633 real-time practice: PM on 24h tables, gases on 1h tables', () => {
  assert.deepEqual(realtimeAqiInputs({ pm25: 1, pm10: 2, so2: 3, no2: 4, o3: 5, co: 6 }), {
    pm25_24h: 1,
    pm10_24h: 2,
    so2_1h: 3,
    no2_1h: 4,
    o3_1h: 5,
    co_1h: 6,
  });
  assert.equal(computeRealtimeAqi({ pm25: 35.1 })?.aqi, 51);
  assert.equal(computeRealtimeAqi({ no2: 200 })?.aqi, 100, 'NO2 on the 1h table (24h would give 160)');
  assert.equal(computeRealtimeAqi({ co: 10 })?.aqi, 100, 'CO on the 1h table (24h would give 130)');
  assert.equal(computeRealtimeAqi({ o3: 200 })?.aqi, 100);
  assert.equal(computeRealtimeAqi({ so2: 500 })?.aqi, 100, 'SO2 on the 1h table (24h would give 154)');
  assert.equal(computeRealtimeAqi({}), null);
});

test('HJ 633 table 1 note (real time): SO2 above 800 is scored on the 24h table', () => {
  assert.deepEqual(computeRealtimeAqi({ so2: 800 })?.iaqi, { so2_1h: 200 });
  const r = computeRealtimeAqi({ so2: 900, pm25: 20 });
  assert.ok(r);
  assert.deepEqual(r.iaqi, { so2_24h: 213, pm25_24h: 29 }); // 212.5 ↑, 28.6 ↑
  assert.deepEqual(r.unscored, []);
  assert.deepEqual(r.primaryPollutants, ['so2_24h']);
});

test('real-time O3 8h moving average is scored alongside O3 1h; a tie names both', () => {
  const r = computeRealtimeAqi({ o3: 200, o3_8h: 160 });
  assert.ok(r);
  assert.equal(r.aqi, 100);
  assert.deepEqual(r.primaryPollutants, ['o3_1h', 'o3_8h']);
});

test('realtimeAqiLevel gives the aqi and level of computeRealtimeAqi, for any values', () => {
  let s = 3;
  const r = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  const odd = [-1, 0, NaN, Infinity, 800, 800.0001, 1e6, 2620, 2621];
  const pick = (): number | undefined => (r() < 0.2 ? undefined : r() < 0.1 ? odd[Math.floor(r() * odd.length)] : r() * (r() < 0.5 ? 200 : 3000));
  for (let i = 0; i < 50_000; i++) {
    const v = { pm25: pick(), pm10: pick(), so2: pick(), no2: pick(), o3: pick(), co: r() < 0.5 ? pick() : (pick() ?? 0) / 50, o3_8h: r() < 0.3 ? pick() : undefined };
    const values = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
    const full = computeRealtimeAqi(values);
    assert.deepEqual(realtimeAqiLevel(values), full ? { aqi: full.aqi, level: full.level } : null, JSON.stringify(values));
  }
});
