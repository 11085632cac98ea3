// GB/T 28592-2012 grades and the 暴雨预警信号 at their boundaries (docs/standards/gbt28592-rain.md).
import { test, expect } from 'vitest';
import { rainGrade12h, rainGrade24h, rainstormSignal, rollingRainfall } from './rain-grade.ts';

test('24 h grades: 小雨 < 10, 中雨 10–24.9, 大雨 25–49.9, 暴雨 50–99.9, 大暴雨 100–249.9, 特大暴雨 ≥ 250', () => {
  const cases: Array<[number, string]> = [
    [0, 'none'], [0.09, 'none'], [0.1, 'light'], [9.9, 'light'], [10, 'moderate'], [24.9, 'moderate'], [25, 'heavy'], [49.9, 'heavy'],
    [50, 'rainstorm'], [99.9, 'rainstorm'], [100, 'heavy_rainstorm'], [249.9, 'heavy_rainstorm'], [250, 'extreme_rainstorm'], [600, 'extreme_rainstorm'],
  ];
  for (const [mm, grade] of cases) expect(rainGrade24h(mm), `${mm} mm`).toBe(grade);
});

test('12 h grades: 小雨 < 5, 中雨 5–14.9, 大雨 15–29.9, 暴雨 30–69.9, 大暴雨 70–139.9, 特大暴雨 ≥ 140', () => {
  const cases: Array<[number, string]> = [[4.9, 'light'], [5, 'moderate'], [14.9, 'moderate'], [15, 'heavy'], [29.9, 'heavy'], [30, 'rainstorm'], [69.9, 'rainstorm'], [70, 'heavy_rainstorm'], [139.9, 'heavy_rainstorm'], [140, 'extreme_rainstorm']];
  for (const [mm, grade] of cases) expect(rainGrade12h(mm), `${mm} mm`).toBe(grade);
});

test('暴雨预警信号: blue 50 mm/12 h, yellow 50 mm/6 h, orange 50 mm/3 h, red 100 mm/3 h — each at and just under its threshold', () => {
  expect(rainstormSignal({ h3: 0, h6: 0, h12: 49.9 })).toBe(null);
  expect(rainstormSignal({ h3: 0, h6: 0, h12: 50 })).toBe('blue');
  expect(rainstormSignal({ h3: 0, h6: 49.9, h12: 60 })).toBe('blue');
  expect(rainstormSignal({ h3: 0, h6: 50, h12: 60 })).toBe('yellow');
  expect(rainstormSignal({ h3: 49.9, h6: 60, h12: 60 })).toBe('yellow');
  expect(rainstormSignal({ h3: 50, h6: 60, h12: 60 })).toBe('orange');
  expect(rainstormSignal({ h3: 99.9, h6: 120, h12: 120 })).toBe('orange');
  expect(rainstormSignal({ h3: 100, h6: 120, h12: 120 })).toBe('red');
});

test('rolling 1/3/6/12/24 h totals: a sample exactly one window old has left the window', () => {
  const now = Date.parse('2026-07-01T12:00:00Z');
  const h = 3_600_000;
  const samples: Array<[number, number]> = [[now - 24 * h, 100], [now - 23 * h, 1], [now - 12 * h, 2], [now - 6 * h + 1, 4], [now - 3 * h, 8], [now - 30 * 60_000, 16], [now, 32], [now + 1, 64]];
  expect(rollingRainfall(samples, now)).toEqual({ h1: 48, h3: 48, h6: 60, h12: 60, h24: 63 });
});
