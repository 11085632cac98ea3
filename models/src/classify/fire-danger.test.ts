import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ClassifyError } from './classify-error.ts';
import {
  DEFAULT_FIRE_SCORING,
  FIRE_DANGER_LEVELS,
  FIRE_DANGER_LEVEL_INFO,
  computeFireDangerIndex,
  fireDangerLevelFromIndex,
  fireWarningLevel,
  scoreFromBands,
  validateFireScoring,
} from './fire-danger.ts';
import type { FireDangerLevel, FireScoringTable } from './fire-danger.ts';

const isError =
  (code: string) =>
  (e: unknown): boolean =>
    e instanceof ClassifyError && e.code === code;

test('docs/standards/forest-fire.md §6: five danger levels 一级 低火险 绿 难燃 … 五级 极高火险 红 极易燃', () => {
  assert.deepEqual(
    FIRE_DANGER_LEVELS.map((l) => {
      const i = FIRE_DANGER_LEVEL_INFO[l];
      return [i.level, i.levelName, i.name, i.colorName, i.ignitability];
    }),
    [
      [1, '一级', '低火险', '绿', '难燃'],
      [2, '二级', '较低火险', '蓝', '较难燃'],
      [3, '三级', '较高火险', '黄', '较易燃'],
      [4, '四级', '高火险', '橙', '易燃'],
      [5, '五级', '极高火险', '红', '极易燃'],
    ],
  );
});

test('LY/T 1172 levels: ≤25 一级, 26–50 二级, 51–72 三级, 73–90 四级, ≥91 五级', () => {
  const cases: [number, FireDangerLevel][] = [
    [-30, 1],
    [0, 1],
    [25, 1],
    [26, 2],
    [50, 2],
    [51, 3],
    [72, 3],
    [73, 4],
    [90, 4],
    [91, 5],
    [150, 5],
  ];
  for (const [htz, level] of cases) assert.equal(fireDangerLevelFromIndex(htz), level, `HTZ ${htz}`);
});

test('LY/T 1172 levels: fractions between integer bands belong to the next level (25.5 → 二级)', () => {
  assert.equal(fireDangerLevelFromIndex(25.5), 2);
  assert.equal(fireDangerLevelFromIndex(50.5), 3);
  assert.equal(fireDangerLevelFromIndex(72.5), 4);
  assert.equal(fireDangerLevelFromIndex(90.5), 5);
  assert.throws(() => fireDangerLevelFromIndex(Number.NaN), isError('MODELS_ERR_CLASSIFY_VALUE_INVALID'));
});

test('platform mapping: fire danger levels 3/4/5 raise yellow/orange/red, 1–2 no warning', () => {
  assert.deepEqual(FIRE_DANGER_LEVELS.map(fireWarningLevel), [null, null, 'yellow', 'orange', 'red']);
});

test('docs/standards/forest-fire.md §6 local table: max temperature ≤5→0, 5.1–10→4, …, 20.1–25→16, >25→20', () => {
  const cases: [number, number][] = [
    [-10, 0],
    [5, 0],
    [5.05, 4],
    [5.1, 4],
    [10, 4],
    [10.1, 8],
    [15, 8],
    [15.1, 12],
    [20, 12],
    [20.1, 16],
    [25, 16],
    [25.1, 20],
    [40, 20],
  ];
  for (const [t, score] of cases) assert.equal(scoreFromBands(DEFAULT_FIRE_SCORING.maxTemperature, t), score, `${t} ℃`);
});

test('docs/standards/forest-fire.md §6 local table: 14:00 RH ≥65→0, 55–64→4, 45–54→8, 35–44→12, 25–34→16, ≤24→20', () => {
  const cases: [number, number][] = [
    [100, 0],
    [65, 0],
    [64.5, 4],
    [64, 4],
    [55, 4],
    [54, 8],
    [45, 8],
    [44, 12],
    [35, 12],
    [34, 16],
    [25, 16],
    [24.5, 20],
    [24, 20],
    [0, 20],
  ];
  for (const [rh, score] of cases) assert.equal(scoreFromBands(DEFAULT_FIRE_SCORING.minHumidity, rh), score, `RH ${rh}`);
});

test('docs/standards/forest-fire.md §6 local table: days without rain 0→0, +5 per day, ≥10→50', () => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 5],
    [2.5, 10],
    [5, 25],
    [9, 45],
    [10, 50],
    [30, 50],
  ];
  for (const [days, score] of cases) assert.equal(scoreFromBands(DEFAULT_FIRE_SCORING.daysWithoutRain, days), score, `${days} days`);
});

test('docs/standards/forest-fire.md §6 local table: wind force ≤1→5, +5 per force, ≥8→40', () => {
  const cases: [number, number][] = [
    [0, 5],
    [1, 5],
    [2, 10],
    [3, 15],
    [7, 35],
    [8, 40],
    [12, 40],
  ];
  for (const [force, score] of cases) assert.equal(scoreFromBands(DEFAULT_FIRE_SCORING.windForce, force), score, `force ${force}`);
});

test('docs/standards/forest-fire.md §6 local table: rain subtracted 0.1–9.9→25, 10–16.9→30, 17–24.9→35, 25–37.9→40, 38–74.9→45, ≥75→50', () => {
  const cases: [number, number][] = [
    [0, 0],
    [0.05, 0],
    [0.1, 25],
    [9.9, 25],
    [10, 30],
    [16.9, 30],
    [17, 35],
    [24.9, 35],
    [25, 40],
    [37.9, 40],
    [38, 45],
    [74.9, 45],
    [75, 50],
    [200, 50],
  ];
  for (const [mm, score] of cases) assert.equal(scoreFromBands(DEFAULT_FIRE_SCORING.rainfall, mm), score, `${mm} mm`);
});

test('LY/T 1172 HTZ = A + B + C + D: a dry windy day scores 82 → 四级 高火险, orange warning', () => {
  const r = computeFireDangerIndex({ maxTemperature: 22, minHumidity: 30, daysWithoutRain: 6, windForce: 4 });
  assert.deepEqual(r.components, { maxTemperature: 16, minHumidity: 16, daysWithoutRain: 30, windForce: 20, rainfall: 0, phenologyCorrection: 0 });
  assert.equal(r.index, 82);
  assert.equal(r.level, 4);
  assert.equal(r.levelName, '四级');
  assert.equal(r.name, '高火险');
  assert.equal(r.colorName, '橙');
  assert.equal(r.ignitability, '易燃');
  assert.equal(r.warningLevel, 'orange');
});

test('LY/T 1172 HTZ: rainfall and phenology corrections are subtracted', () => {
  const dry = { maxTemperature: 28, minHumidity: 20, daysWithoutRain: 12, windForce: 8 };
  assert.equal(computeFireDangerIndex(dry).index, 130);
  assert.equal(computeFireDangerIndex(dry).level, 5);
  assert.equal(computeFireDangerIndex({ ...dry, rainfallMm: 12 }).index, 100);
  const heavyRain = computeFireDangerIndex({ ...dry, rainfallMm: 80 });
  assert.equal(heavyRain.index, 80);
  assert.equal(heavyRain.level, 4);
  const greenUp = computeFireDangerIndex({ ...dry, rainfallMm: 80, phenologyCorrection: 10 });
  assert.equal(greenUp.index, 70);
  assert.equal(greenUp.level, 3);
  assert.equal(greenUp.warningLevel, 'yellow');
});

test('LY/T 1172 HTZ: the index may go negative after rain and is then 一级 with no warning', () => {
  const r = computeFireDangerIndex({ maxTemperature: 3, minHumidity: 80, daysWithoutRain: 0, windForce: 1, rainfallMm: 20 });
  assert.equal(r.index, -30);
  assert.equal(r.level, 1);
  assert.equal(r.name, '低火险');
  assert.equal(r.warningLevel, null);
});

test('LY/T 1172 HTZ: index 25 is 一级 and 30 is 二级 from real inputs', () => {
  assert.equal(computeFireDangerIndex({ maxTemperature: 10, minHumidity: 30, daysWithoutRain: 0, windForce: 1 }).index, 25);
  assert.equal(computeFireDangerIndex({ maxTemperature: 10, minHumidity: 30, daysWithoutRain: 0, windForce: 1 }).level, 1);
  const r = computeFireDangerIndex({ maxTemperature: 10, minHumidity: 30, daysWithoutRain: 0, windForce: 2 });
  assert.equal(r.index, 30);
  assert.equal(r.level, 2);
  assert.equal(r.warningLevel, null);
});

test('docs/standards/forest-fire.md §6 ⚠️: the scoring table is configurable data that survives JSON', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(DEFAULT_FIRE_SCORING)), DEFAULT_FIRE_SCORING);
  const windy: FireScoringTable = {
    ...DEFAULT_FIRE_SCORING,
    windForce: { match: 'atLeast', bands: [{ limit: 4, score: 60 }], otherwise: 0 },
  };
  const input = { maxTemperature: 22, minHumidity: 30, daysWithoutRain: 6, windForce: 4 };
  assert.equal(computeFireDangerIndex(input, windy).index, 122);
  assert.equal(computeFireDangerIndex({ ...input, windForce: 3 }, windy).index, 62);
});

test('validateFireScoring refuses unordered or non-finite bands, naming the factor', () => {
  const unordered: FireScoringTable = {
    ...DEFAULT_FIRE_SCORING,
    minHumidity: { match: 'atLeast', bands: [{ limit: 55, score: 4 }, { limit: 65, score: 0 }], otherwise: 20 },
  };
  const input = { maxTemperature: 20, minHumidity: 60, daysWithoutRain: 1, windForce: 2 };
  assert.throws(() => computeFireDangerIndex(input, unordered), /fire scoring minHumidity: band limits must be decreasing/);
  const nonFinite: FireScoringTable = { ...DEFAULT_FIRE_SCORING, rainfall: { match: 'atLeast', bands: [], otherwise: Number.NaN } };
  assert.throws(() => validateFireScoring(nonFinite), isError('MODELS_ERR_CLASSIFY_TABLE_INVALID'));
  assert.equal(validateFireScoring(DEFAULT_FIRE_SCORING), DEFAULT_FIRE_SCORING);
});

test('computeFireDangerIndex refuses non-finite or negative inputs, naming the field', () => {
  const ok = { maxTemperature: 20, minHumidity: 40, daysWithoutRain: 3, windForce: 3 };
  assert.throws(() => computeFireDangerIndex({ ...ok, maxTemperature: Number.NaN }), /maxTemperature must be a finite number/);
  assert.throws(() => computeFireDangerIndex({ ...ok, daysWithoutRain: -1 }), /daysWithoutRain must be ≥ 0/);
  assert.throws(() => computeFireDangerIndex({ ...ok, rainfallMm: -0.1 }), isError('MODELS_ERR_CLASSIFY_VALUE_INVALID'));
  assert.equal(computeFireDangerIndex({ ...ok, maxTemperature: -15 }).components.maxTemperature, 0);
});
