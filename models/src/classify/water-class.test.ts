import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ClassifyError } from './classify-error.ts';
import {
  GB3838_LIMITS,
  GB3838_PH_RANGE,
  WATER_CLASSES,
  WATER_CLASS_LABEL,
  classLimitsFor,
  classifyWater,
  waterFactorClass,
} from './water-class.ts';
import type { WaterBody, WaterClass, WaterFactor } from './water-class.ts';

test('GB 3838 table 1 limits are the docs/standards/gb3838-water.md §4 numbers', () => {
  assert.deepEqual(GB3838_PH_RANGE, [6, 9]);
  assert.deepEqual(GB3838_LIMITS, {
    do: [7.5, 6, 5, 3, 2],
    codmn: [2, 4, 6, 10, 15],
    cod: [15, 15, 20, 30, 40],
    bod5: [3, 3, 4, 6, 10],
    nh3n: [0.15, 0.5, 1.0, 1.5, 2.0],
    tp_river: [0.02, 0.1, 0.2, 0.3, 0.4],
    tp_lake: [0.01, 0.025, 0.05, 0.1, 0.2],
    tn: [0.2, 0.5, 1.0, 1.5, 2.0],
    fecal_coliform: [200, 2000, 10000, 20000, 40000],
  });
  assert.equal(classLimitsFor('tp', 'river'), GB3838_LIMITS.tp_river);
  assert.equal(classLimitsFor('tp', 'lake'), GB3838_LIMITS.tp_lake);
  assert.equal(classLimitsFor('ph', 'river'), null);
});

test('GB 3838 table 1: a value equal to a limit passes that class; just above drops one class', () => {
  const cases: [WaterFactor, number, WaterClass][] = [
    ['codmn', 2, 'I'],
    ['codmn', 2.01, 'II'],
    ['codmn', 6, 'III'],
    ['codmn', 15, 'V'],
    ['codmn', 15.1, '劣V'],
    ['nh3n', 0.15, 'I'],
    ['nh3n', 0.16, 'II'],
    ['nh3n', 1.0, 'III'],
    ['nh3n', 1.01, 'IV'],
    ['nh3n', 2.0, 'V'],
    ['nh3n', 2.01, '劣V'],
    ['tn', 0.2, 'I'],
    ['tn', 1.5, 'IV'],
    ['fecal_coliform', 10000, 'III'],
    ['fecal_coliform', 40001, '劣V'],
    ['codmn', 0, 'I'],
  ];
  for (const [factor, value, cls] of cases) assert.equal(waterFactorClass(factor, value, 'river'), cls, `${factor} = ${value}`);
});

test('GB 3838 table 1: COD and BOD5 share the I/II limit, so they read I, never II', () => {
  assert.equal(waterFactorClass('cod', 15, 'river'), 'I');
  assert.equal(waterFactorClass('cod', 15.1, 'river'), 'III');
  assert.equal(waterFactorClass('cod', 40, 'river'), 'V');
  assert.equal(waterFactorClass('cod', 40.1, 'river'), '劣V');
  assert.equal(waterFactorClass('bod5', 3, 'river'), 'I');
  assert.equal(waterFactorClass('bod5', 3.1, 'river'), 'III');
});

test('GB 3838 table 1: DO passes a class when ≥ its limit', () => {
  const cases: [number, WaterClass][] = [
    [9, 'I'],
    [7.5, 'I'],
    [7.49, 'II'],
    [6, 'II'],
    [5, 'III'],
    [4.99, 'IV'],
    [3, 'IV'],
    [2, 'V'],
    [1.99, '劣V'],
    [0, '劣V'],
  ];
  for (const [value, cls] of cases) assert.equal(waterFactorClass('do', value, 'lake'), cls, `DO = ${value}`);
});

test('GB 3838 table 1: pH 6–9 never limits the class; outside it is 劣V', () => {
  assert.equal(waterFactorClass('ph', 6, 'river'), 'I');
  assert.equal(waterFactorClass('ph', 9, 'river'), 'I');
  assert.equal(waterFactorClass('ph', 5.99, 'river'), '劣V');
  assert.equal(waterFactorClass('ph', 9.01, 'river'), '劣V');
});

test('GB 3838 table 1: TP column depends on the water body (rivers vs lakes/reservoirs)', () => {
  const cases: [WaterBody, number, WaterClass][] = [
    ['river', 0.02, 'I'],
    ['lake', 0.02, 'II'],
    ['river', 0.05, 'II'],
    ['lake', 0.05, 'III'],
    ['river', 0.2, 'III'],
    ['lake', 0.2, 'V'],
    ['lake', 0.21, '劣V'],
    ['river', 0.4, 'V'],
    ['river', 0.41, '劣V'],
  ];
  for (const [body, value, cls] of cases) assert.equal(waterFactorClass('tp', value, body), cls, `${body} TP = ${value}`);
});

test('waterFactorClass refuses negative and non-finite values', () => {
  assert.equal(waterFactorClass('cod', -1, 'river'), null);
  assert.equal(waterFactorClass('do', Number.NaN, 'river'), null);
  assert.equal(waterFactorClass('ph', Number.POSITIVE_INFINITY, 'river'), null);
});

test('GB 3838 labels: I–II 优, III 良好, IV 轻度污染, V 中度污染, 劣V 重度污染', () => {
  assert.deepEqual(
    WATER_CLASSES.map((c) => WATER_CLASS_LABEL[c]),
    ['优', '优', '良好', '轻度污染', '中度污染', '重度污染'],
  );
});

test('GB 3838 single-factor method: the class is the worst factor class (river sample → III 良好)', () => {
  const r = classifyWater({ ph: 7.2, do: 6.5, codmn: 3.5, cod: 18, bod5: 3.5, nh3n: 0.8, tp: 0.15 }, { waterBody: 'river' });
  assert.ok(r);
  assert.equal(r.class, 'III');
  assert.equal(r.label, '良好');
  assert.deepEqual(r.perFactor, { ph: 'I', do: 'II', codmn: 'II', cod: 'III', bod5: 'III', nh3n: 'III', tp: 'III' });
  assert.deepEqual(r.worstFactors, ['cod', 'bod5', 'nh3n', 'tp']);
  assert.deepEqual(r.exceedance, {});
  assert.deepEqual(r.exceedingFactors, []);
});

test('GB 3838 single-factor method: the same sample in a lake is V because of the lake TP column', () => {
  const r = classifyWater({ ph: 7.2, do: 6.5, codmn: 3.5, cod: 18, bod5: 3.5, nh3n: 0.8, tp: 0.15 }, { waterBody: 'lake' });
  assert.ok(r);
  assert.equal(r.class, 'V');
  assert.equal(r.label, '中度污染');
  assert.deepEqual(r.worstFactors, ['tp']);
  assert.deepEqual(r.exceedance, { tp: 2 }); // (0.15 − 0.05) / 0.05
  assert.deepEqual(r.exceedingFactors, ['tp']);
});

test('GB 3838 class I and II both read 优', () => {
  const one = classifyWater({ ph: 7, do: 8 }, { waterBody: 'river' });
  assert.equal(one?.class, 'I');
  assert.equal(one?.label, '优');
  assert.deepEqual(one?.worstFactors, ['ph', 'do']);
  const two = classifyWater({ do: 6.5, codmn: 3 }, { waterBody: 'river' });
  assert.equal(two?.class, 'II');
  assert.equal(two?.label, '优');
});

test('GB 3838 routine evaluation: TN only for lakes/reservoirs unless asked (docs/standards/gb3838-water.md §4 ❓)', () => {
  const river = classifyWater({ do: 8, tn: 3 }, { waterBody: 'river' });
  assert.equal(river?.class, 'I');
  assert.deepEqual(river?.skipped, [{ factor: 'tn', reason: 'excluded' }]);
  assert.equal(river?.perFactor.tn, undefined);

  const riverWithTn = classifyWater({ do: 8, tn: 3 }, { waterBody: 'river', includeTn: true });
  assert.equal(riverWithTn?.class, '劣V');
  assert.deepEqual(riverWithTn?.exceedance, { tn: 2 });

  const lake = classifyWater({ do: 8, tn: 1.2 }, { waterBody: 'lake' });
  assert.equal(lake?.class, 'IV');
  assert.deepEqual(lake?.worstFactors, ['tn']);

  const lakeWithoutTn = classifyWater({ do: 8, tn: 1.2 }, { waterBody: 'lake', includeTn: false });
  assert.equal(lakeWithoutTn?.class, 'I');
});

test('GB 3838 routine evaluation: fecal coliform only when asked (docs/standards/gb3838-water.md §4 ❓)', () => {
  const routine = classifyWater({ do: 8, fecal_coliform: 30000 }, { waterBody: 'river' });
  assert.equal(routine?.class, 'I');
  assert.deepEqual(routine?.skipped, [{ factor: 'fecal_coliform', reason: 'excluded' }]);

  const full = classifyWater({ do: 8, fecal_coliform: 30000 }, { waterBody: 'river', includeFecalColiform: true });
  assert.equal(full?.class, 'V');
  assert.deepEqual(full?.exceedance, { fecal_coliform: 2 }); // (30000 − 10000) / 10000
});

test('GB 3838: pH outside 6–9 makes the sample 劣V 重度污染, with no 超标倍数 for pH', () => {
  const r = classifyWater({ ph: 9.5, do: 8, codmn: 1 }, { waterBody: 'river' });
  assert.ok(r);
  assert.equal(r.class, '劣V');
  assert.equal(r.label, '重度污染');
  assert.deepEqual(r.worstFactors, ['ph']);
  assert.deepEqual(r.exceedance, {});
  assert.deepEqual(r.exceedingFactors, ['ph']);
});

test('GB 3838 超标倍数 (C − C_III)/C_III: pollutants worse than III, largest first; DO has none and goes last', () => {
  const r = classifyWater({ do: 2.5, cod: 50, nh3n: 3, tp: 0.3 }, { waterBody: 'river' });
  assert.ok(r);
  assert.equal(r.class, '劣V');
  assert.deepEqual(r.perFactor, { do: 'V', cod: '劣V', nh3n: '劣V', tp: 'IV' });
  assert.deepEqual(r.worstFactors, ['cod', 'nh3n']);
  assert.deepEqual(r.exceedance, { cod: 1.5, nh3n: 2, tp: 0.5 });
  assert.deepEqual(r.exceedingFactors, ['nh3n', 'cod', 'tp', 'do']);
});

test('GB 3838 超标倍数: a value exactly at the class III limit does not exceed', () => {
  const r = classifyWater({ cod: 20, nh3n: 1.0 }, { waterBody: 'river' });
  assert.equal(r?.class, 'III');
  assert.deepEqual(r?.exceedance, {});
  assert.deepEqual(r?.exceedingFactors, []);
});

test('classifyWater skips invalid values, returns null when nothing is evaluated, refuses unknown water bodies', () => {
  const r = classifyWater({ cod: Number.NaN, do: 8 }, { waterBody: 'river' });
  assert.equal(r?.class, 'I');
  assert.deepEqual(r?.skipped, [{ factor: 'cod', reason: 'invalid' }]);
  assert.equal(classifyWater({}, { waterBody: 'river' }), null);
  assert.equal(classifyWater({ tn: 1 }, { waterBody: 'river' }), null);
  assert.equal(classifyWater({ cod: -1 }, { waterBody: 'lake' }), null);
  assert.throws(
    () => classifyWater({ do: 8 }, { waterBody: 'sea' as WaterBody }),
    (e: unknown) => e instanceof ClassifyError && e.code === 'MODELS_ERR_CLASSIFY_VALUE_INVALID',
  );
});
