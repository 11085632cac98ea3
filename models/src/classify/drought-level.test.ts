import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ClassifyError } from './classify-error.ts';
import {
  DEFAULT_DROUGHT_THRESHOLDS,
  DROUGHT_LEVELS,
  DROUGHT_LEVEL_LABEL,
  droughtLevel,
  droughtWarningLevel,
  validateDroughtThresholds,
} from './drought-level.ts';
import type { DroughtLevel } from './drought-level.ts';

test('GB/T 32136 §5.2 (docs/standards/drought.md §5): default thresholds 60/50/40/30 and labels 无旱…特旱', () => {
  assert.deepEqual(DEFAULT_DROUGHT_THRESHOLDS, { light: 60, moderate: 50, severe: 40, extreme: 30 });
  assert.deepEqual(
    DROUGHT_LEVELS.map((l) => DROUGHT_LEVEL_LABEL[l]),
    ['无旱', '轻旱', '中旱', '重旱', '特旱'],
  );
});

test('GB/T 32136 §5.2: each upper bound belongs to the drier level (R = 60 → 轻旱, 60.01 → 无旱, 30 → 特旱)', () => {
  const cases: [number, DroughtLevel][] = [
    [120, 'none'],
    [60.01, 'none'],
    [60, 'light'],
    [50.01, 'light'],
    [50, 'moderate'],
    [40.01, 'moderate'],
    [40, 'severe'],
    [30.01, 'severe'],
    [30, 'extreme'],
    [0, 'extreme'],
  ];
  for (const [r, level] of cases) assert.equal(droughtLevel(r), level, `R = ${r}`);
  assert.equal(DROUGHT_LEVEL_LABEL[droughtLevel(60)], '轻旱');
  assert.equal(DROUGHT_LEVEL_LABEL[droughtLevel(30)], '特旱');
});

test('GB/T 32136 (docs/standards/drought.md §5 ⚠️): thresholds are configurable', () => {
  const sandy = { light: 55, moderate: 45, severe: 35, extreme: 25 };
  assert.equal(droughtLevel(58, sandy), 'none');
  assert.equal(droughtLevel(55, sandy), 'light');
  assert.equal(droughtLevel(28, sandy), 'severe');
  assert.equal(droughtLevel(25, sandy), 'extreme');
});

test('drought thresholds must be finite and strictly decreasing', () => {
  const isTableError = (e: unknown): boolean => e instanceof ClassifyError && e.code === 'MODELS_ERR_CLASSIFY_TABLE_INVALID';
  assert.throws(() => validateDroughtThresholds({ light: 60, moderate: 60, severe: 40, extreme: 30 }), isTableError);
  assert.throws(() => droughtLevel(45, { light: 60, moderate: 50, severe: 30, extreme: 40 }), /extreme \(40\) must be below severe \(30\)/);
  assert.throws(() => validateDroughtThresholds({ light: Number.NaN, moderate: 50, severe: 40, extreme: 30 }), isTableError);
  assert.equal(validateDroughtThresholds(DEFAULT_DROUGHT_THRESHOLDS), DEFAULT_DROUGHT_THRESHOLDS);
});

test('droughtLevel refuses negative or non-finite moisture', () => {
  const isValueError = (e: unknown): boolean => e instanceof ClassifyError && e.code === 'MODELS_ERR_CLASSIFY_VALUE_INVALID';
  assert.throws(() => droughtLevel(-1), isValueError);
  assert.throws(() => droughtLevel(Number.NaN), isValueError);
});

test('platform mapping: drought level → warning (light blue … extreme red, none no warning)', () => {
  assert.deepEqual(
    DROUGHT_LEVELS.map(droughtWarningLevel),
    [null, 'blue', 'yellow', 'orange', 'red'],
  );
});
