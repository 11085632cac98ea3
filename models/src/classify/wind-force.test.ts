import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ClassifyError } from './classify-error.ts';
import { windForceFromSpeed } from './wind-force.ts';

test('GB/T 28591 wind scale: each published range maps to its force, both ends inclusive', () => {
  // [lowest, highest] m/s of forces 0…16 as published.
  const ranges: [number, number][] = [
    [0.0, 0.2],
    [0.3, 1.5],
    [1.6, 3.3],
    [3.4, 5.4],
    [5.5, 7.9],
    [8.0, 10.7],
    [10.8, 13.8],
    [13.9, 17.1],
    [17.2, 20.7],
    [20.8, 24.4],
    [24.5, 28.4],
    [28.5, 32.6],
    [32.7, 36.9],
    [37.0, 41.4],
    [41.5, 46.1],
    [46.2, 50.9],
    [51.0, 56.0],
  ];
  ranges.forEach(([lo, hi], force) => {
    assert.equal(windForceFromSpeed(lo), force, `${lo} m/s`);
    assert.equal(windForceFromSpeed(hi), force, `${hi} m/s`);
  });
  assert.equal(windForceFromSpeed(56.1), 17);
  assert.equal(windForceFromSpeed(70), 17);
});

test('wind speeds between published ranges belong to the lower force', () => {
  assert.equal(windForceFromSpeed(0.25), 0);
  assert.equal(windForceFromSpeed(1.55), 1);
  assert.equal(windForceFromSpeed(7.95), 4);
});

test('windForceFromSpeed refuses negative or non-finite speeds', () => {
  assert.throws(() => windForceFromSpeed(-0.1), ClassifyError);
  assert.throws(() => windForceFromSpeed(Number.NaN), ClassifyError);
});
