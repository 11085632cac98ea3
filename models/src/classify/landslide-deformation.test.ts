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

test('rate and acceleration from cumulative displacement', () => {
  const d = 86_400_000;
  // 1 mm/day for a day, then 3 mm/day for a day.
  const k = displacementKinematics([[0, 0], [d, 1], [2 * d, 4]])!;
  expect(k.rate).toBeCloseTo(3);
  expect(k.acceleration).toBeCloseTo(2);
  expect(displacementKinematics([[0, 0], [1, 1]])).toBeUndefined();
});
