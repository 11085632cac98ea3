/**
 * Rainfall grades (GB/T 28592-2012 降水量等级) and the national 暴雨预警信号 (气象灾害预警信号发布与
 * 传播办法, 2007), docs/standards/gbt28592-rain.md. Amounts are in mm; the grades' upper bounds are
 * written to one decimal (9.9, 24.9 …) because gauges resolve 0.1 mm, so a grade starts at its
 * lower bound inclusive: 10.0 is 中雨, 9.95 still 小雨.
 */
import type { WarningLevel } from './warning-level.ts';
import { requireFinite } from './classify-error.ts';

export const RAIN_GRADES = ['none', 'light', 'moderate', 'heavy', 'rainstorm', 'heavy_rainstorm', 'extreme_rainstorm'] as const;
export type RainGrade = (typeof RAIN_GRADES)[number];

export const RAIN_GRADE_LABEL: Readonly<Record<RainGrade, string>> = {
  none: '无降水',
  light: '小雨',
  moderate: '中雨',
  heavy: '大雨',
  rainstorm: '暴雨',
  heavy_rainstorm: '大暴雨',
  extreme_rainstorm: '特大暴雨',
};

/** Lower bounds (mm) of 小雨 … 特大暴雨 for 24 h and 12 h totals. */
export const RAIN_GRADE_BOUNDS = {
  h24: [0.1, 10, 25, 50, 100, 250],
  h12: [0.1, 5, 15, 30, 70, 140],
} as const;

function grade(mm: number, bounds: readonly number[]): RainGrade {
  requireFinite('rainfall', mm);
  let i = 0;
  while (i < bounds.length && mm >= bounds[i]!) i++;
  return RAIN_GRADES[i]!;
}

/** GB/T 28592-2012 grade of a 24 h total. */
export function rainGrade24h(mm: number): RainGrade {
  return grade(mm, RAIN_GRADE_BOUNDS.h24);
}

/** GB/T 28592-2012 grade of a 12 h total. */
export function rainGrade12h(mm: number): RainGrade {
  return grade(mm, RAIN_GRADE_BOUNDS.h12);
}

/** Rolling totals (mm) the rainstorm signal reads. */
export interface RollingRainfall {
  readonly h1: number;
  readonly h3: number;
  readonly h6: number;
  readonly h12: number;
  readonly h24: number;
}

/**
 * The national 暴雨预警信号 from observed rolling totals: red ≥ 100 mm in 3 h, orange ≥ 50 mm in
 * 3 h, yellow ≥ 50 mm in 6 h, blue ≥ 50 mm in 12 h (the signals also issue on forecasts, which
 * the platform does not have). Guangdong's own signals differ (no blue) — configure a rule's
 * levels for them.
 */
export function rainstormSignal(totals: Pick<RollingRainfall, 'h3' | 'h6' | 'h12'>): WarningLevel | null {
  if (totals.h3 >= 100) return 'red';
  if (totals.h3 >= 50) return 'orange';
  if (totals.h6 >= 50) return 'yellow';
  if (totals.h12 >= 50) return 'blue';
  return null;
}

/** Window lengths of the rolling totals, hours. */
export const ROLLING_RAIN_HOURS = [1, 3, 6, 12, 24] as const;

/**
 * Rolling totals at `nowTs` from (ts, mm-since-previous-reading) samples: a sample counts in a
 * window of h hours when nowTs − h·3600 s < ts ≤ nowTs.
 */
export function rollingRainfall(samples: ReadonlyArray<readonly [number, number]>, nowTs: number): RollingRainfall {
  const sums = [0, 0, 0, 0, 0];
  for (const [ts, mm] of samples) {
    if (ts > nowTs || !(mm > 0)) continue;
    for (let i = 0; i < ROLLING_RAIN_HOURS.length; i++) if (ts > nowTs - ROLLING_RAIN_HOURS[i]! * 3_600_000) sums[i]! += mm;
  }
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { h1: r(sums[0]!), h3: r(sums[1]!), h6: r(sums[2]!), h12: r(sums[3]!), h24: r(sums[4]!) };
}
