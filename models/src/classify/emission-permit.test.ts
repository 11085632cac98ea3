// 折算 concentration and permit exceedance (docs/standards/pollution-source.md).
import { test, expect } from 'vitest';
import { correctedConcentration, emissionClass } from './emission-permit.ts';

test('C折 = C × (21 − O2基准) / (21 − O2实测)', () => {
  expect(correctedConcentration(30, 6, 6)).toBe(30);
  expect(correctedConcentration(30, 11, 6)).toBeCloseTo(45);
  expect(correctedConcentration(40, 3, 9)).toBeCloseTo((40 * 12) / 18);
});

test('measured O2 at 21 % (air, nothing burning) or a reference outside 0–21 % is refused', () => {
  expect(() => correctedConcentration(30, 21, 6)).toThrow(/measured O2/);
  expect(() => correctedConcentration(30, 8, 21)).toThrow(/reference O2/);
});

test('超标 boundaries: equal to the limit complies; above is over; 1.5× orange class; 2× red class', () => {
  expect(emissionClass(35, 35)).toBe('compliant');
  expect(emissionClass(35.01, 35)).toBe('over');
  expect(emissionClass(52.49, 35)).toBe('over');
  expect(emissionClass(52.5, 35)).toBe('over_50');
  expect(emissionClass(69.99, 35)).toBe('over_50');
  expect(emissionClass(70, 35)).toBe('over_100');
  expect(() => emissionClass(1, 0)).toThrow(/positive/);
});
