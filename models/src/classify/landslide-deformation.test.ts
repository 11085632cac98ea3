// Improved tangent-angle method at its thresholds (docs/standards/geohazard.md).
import { test, expect } from 'vitest';
import { deformationStage, displacementKinematics, tangentAngle } from './landslide-deformation.ts';

test('α = arctan(rate / v): 45° at the constant-stage rate', () => {
  expect(tangentAngle(0.5, 0.5)).toBeCloseTo(45);
  expect(tangentAngle(0, 0.5)).toBe(0);
  expect(() => tangentAngle(1, 0)).toThrow(/positive/);
});

test('stages at the default thresholds 45° / 80° / 85° / 89°', () => {
  const cases: Array<[number, string]> = [[30, 'stable'], [45, 'stable'], [45.01, 'initial_acceleration'], [80, 'initial_acceleration'], [80.01, 'mid_acceleration'], [85, 'mid_acceleration'], [85.01, 'rapid_acceleration'], [88.99, 'rapid_acceleration'], [89, 'imminent']];
  for (const [angle, stage] of cases) expect(deformationStage(angle), `${angle}°`).toBe(stage);
});

test('per-point thresholds; unordered ones are refused', () => {
  expect(deformationStage(60, { initial: 50, mid: 70, rapid: 80, imminent: 88 })).toBe('initial_acceleration');
  expect(() => deformationStage(60, { initial: 80, mid: 70, rapid: 80, imminent: 88 })).toThrow(/rise/);
});

test('rate and acceleration from cumulative displacement: least-squares fits of the older and newer halves', () => {
  const d = 86_400_000;
  // 1 mm/day for two days, then 3 mm/day for two days.
  const k = displacementKinematics([[0, 0], [d, 1], [2 * d, 2], [3 * d, 5], [4 * d, 8]])!;
  expect(k.rate).toBeCloseTo(3);
  expect(k.acceleration).toBeCloseTo(1);
  expect(displacementKinematics([[0, 0], [1, 1], [2, 2]])).toBeUndefined();
  expect(displacementKinematics([[0, 0], [60_000, 1], [120_000, 2], [180_000, 3]]), 'spanning less than an hour').toBeUndefined();
});

test('one noisy reading on a steady creep does not read as acceleration', () => {
  const h = 3_600_000;
  // 0.5 mm/day creep sampled hourly for a day; the last reading 0.3 mm off.
  const samples: Array<[number, number]> = Array.from({ length: 25 }, (_, i) => [i * h, (i / 24) * 0.5]);
  samples[24]![1] += 0.3;
  const k = displacementKinematics(samples)!;
  expect(tangentAngle(k.rate, 0.5)).toBeLessThan(80);
});
