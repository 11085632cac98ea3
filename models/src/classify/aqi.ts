/**
 * Air quality index per HJ 633-2012 (docs/standards/hj633-aqi.md §3).
 *
 * Pollutant keys name the breakpoint table a concentration is scored on (`so2_1h`, `pm25_24h`…),
 * which is also how HJ 633 names primary pollutants in reports. Concentrations are μg/m³, except
 * CO in mg/m³; unit conversion is the caller's job (it is a per-device setting).
 */

import { ClassifyError, requireFinite } from './classify-error.ts';

export const AQI_POLLUTANTS = [
  'so2_24h',
  'so2_1h',
  'no2_24h',
  'no2_1h',
  'pm10_24h',
  'pm25_24h',
  'co_24h',
  'co_1h',
  'o3_1h',
  'o3_8h',
] as const;
export type AqiPollutant = (typeof AQI_POLLUTANTS)[number];

export interface AqiPollutantInfo {
  /** Substance as shown to users ('PM2.5', 'O3'…), without the averaging period. */
  readonly substance: string;
  /** Chinese name with averaging period, as in HJ 633 table 1. */
  readonly name: string;
  readonly unit: 'μg/m³' | 'mg/m³';
}

export const AQI_POLLUTANT_INFO: Readonly<Record<AqiPollutant, AqiPollutantInfo>> = {
  so2_24h: { substance: 'SO2', name: '二氧化硫24小时平均', unit: 'μg/m³' },
  so2_1h: { substance: 'SO2', name: '二氧化硫1小时平均', unit: 'μg/m³' },
  no2_24h: { substance: 'NO2', name: '二氧化氮24小时平均', unit: 'μg/m³' },
  no2_1h: { substance: 'NO2', name: '二氧化氮1小时平均', unit: 'μg/m³' },
  pm10_24h: { substance: 'PM10', name: '颗粒物(PM10)24小时平均', unit: 'μg/m³' },
  pm25_24h: { substance: 'PM2.5', name: '颗粒物(PM2.5)24小时平均', unit: 'μg/m³' },
  co_24h: { substance: 'CO', name: '一氧化碳24小时平均', unit: 'mg/m³' },
  co_1h: { substance: 'CO', name: '一氧化碳1小时平均', unit: 'mg/m³' },
  o3_1h: { substance: 'O3', name: '臭氧1小时平均', unit: 'μg/m³' },
  o3_8h: { substance: 'O3', name: '臭氧8小时滑动平均', unit: 'μg/m³' },
};

/** IAQI values at the breakpoints; a pollutant's n-th breakpoint scores the n-th anchor. */
export const IAQI_ANCHORS = [0, 50, 100, 150, 200, 300, 400, 500] as const;

/**
 * Concentration breakpoints of HJ 633 table 1. SO2-1h and O3-8h stop early on purpose: above
 * 800 the standard reports the 24h (SO2) or 1h (O3) index instead — extending them is a known bug.
 */
export const AQI_BREAKPOINTS: Readonly<Record<AqiPollutant, readonly number[]>> = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  so2_1h: [0, 150, 500, 650, 800],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 160, 215, 265, 800],
};

export type AqiLevel = 1 | 2 | 3 | 4 | 5 | 6;
export type AqiCategory = '优' | '良' | '轻度污染' | '中度污染' | '重度污染' | '严重污染';
export type AqiColorName = '绿' | '黄' | '橙' | '红' | '紫' | '褐红';

export interface AqiColor {
  readonly name: AqiColorName;
  readonly rgb: readonly [number, number, number];
  readonly hex: string;
}

export interface AqiLevelInfo {
  readonly level: AqiLevel;
  readonly levelName: '一级' | '二级' | '三级' | '四级' | '五级' | '六级';
  readonly category: AqiCategory;
  /** Inclusive AQI range of the level. */
  readonly aqiMin: number;
  readonly aqiMax: number;
  readonly color: AqiColor;
}

const color = (name: AqiColorName, r: number, g: number, b: number): AqiColor => ({
  name,
  rgb: [r, g, b],
  hex: `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('').toUpperCase()}`,
});

/** HJ 633 table 2, indexed by level − 1. */
export const AQI_LEVELS: readonly AqiLevelInfo[] = [
  // Green is unconfirmed (docs/standards/hj633-aqi.md §3 ❓): the standard's appendix gives (0,228,0), some code
  // uses (0,255,0). We follow the appendix.
  { level: 1, levelName: '一级', category: '优', aqiMin: 0, aqiMax: 50, color: color('绿', 0, 228, 0) },
  { level: 2, levelName: '二级', category: '良', aqiMin: 51, aqiMax: 100, color: color('黄', 255, 255, 0) },
  { level: 3, levelName: '三级', category: '轻度污染', aqiMin: 101, aqiMax: 150, color: color('橙', 255, 126, 0) },
  { level: 4, levelName: '四级', category: '中度污染', aqiMin: 151, aqiMax: 200, color: color('红', 255, 0, 0) },
  { level: 5, levelName: '五级', category: '重度污染', aqiMin: 201, aqiMax: 300, color: color('紫', 153, 0, 76) },
  { level: 6, levelName: '六级', category: '严重污染', aqiMin: 301, aqiMax: 500, color: color('褐红', 126, 0, 35) },
];

/**
 * IAQI rounds up (docs/standards/hj633-aqi.md §3 ⚠️), but float noise such as CO 2.2 mg/m³ → 55.000000000000004
 * must not push an exact value up a whole point, so snap to 1e-6 first.
 */
function ceilIaqi(raw: number): number {
  return Math.ceil(Math.round(raw * 1e6) / 1e6);
}

/**
 * Individual AQI of one concentration (HJ 633 formula 1), rounded up to an integer.
 * Returns `null` when the value cannot be scored: negative or non-finite, or SO2-1h / O3-8h above
 * 800 (the standard then reports the SO2-24h / O3-1h index instead). Concentrations above the
 * top breakpoint of the other tables score 500, the top of the scale.
 */
export function iaqi(pollutant: AqiPollutant, concentration: number): number | null {
  if (!Number.isFinite(concentration) || concentration < 0) return null;
  const bps = AQI_BREAKPOINTS[pollutant];
  const top = bps.length - 1;
  if (concentration > bps[top]!) {
    return pollutant === 'so2_1h' || pollutant === 'o3_8h' ? null : IAQI_ANCHORS[top]!;
  }
  let hi = 1;
  while (bps[hi]! < concentration) hi++;
  const lo = hi - 1;
  const bpLo = bps[lo]!;
  const bpHi = bps[hi]!;
  const iLo = IAQI_ANCHORS[lo]!;
  const iHi = IAQI_ANCHORS[hi]!;
  return ceilIaqi(((iHi - iLo) / (bpHi - bpLo)) * (concentration - bpLo) + iLo);
}

/** Level, category and colour of an AQI value (HJ 633 table 2). Fractions belong to the upper level. */
export function aqiLevelFor(aqi: number): AqiLevelInfo {
  requireFinite('aqi', aqi);
  if (aqi < 0) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `aqi must be ≥ 0, got ${aqi}`);
  // Matching on upper bounds only puts fractions such as 50.5 (never produced by iaqi, possible
  // from callers) in the upper level instead of the gap between 50 and 51.
  const found = AQI_LEVELS.find((info) => aqi <= info.aqiMax);
  return found ?? AQI_LEVELS[AQI_LEVELS.length - 1]!;
}

export type AqiUnscoredReason =
  /** Negative or non-finite concentration. */
  | 'invalid'
  /** SO2-1h above 800: HJ 633 reports the SO2-24h index instead. */
  | 'so2_1h_above_800'
  /** O3-8h above 800: HJ 633 reports the O3-1h index instead. */
  | 'o3_8h_above_800';

export interface AqiResult {
  readonly aqi: number;
  readonly level: AqiLevel;
  readonly levelName: AqiLevelInfo['levelName'];
  readonly category: AqiCategory;
  readonly color: AqiColor;
  /** IAQI of every pollutant that could be scored. */
  readonly iaqi: Readonly<Partial<Record<AqiPollutant, number>>>;
  /** Pollutants whose IAQI equals the AQI (all of them on a tie); empty when AQI ≤ 50. */
  readonly primaryPollutants: readonly AqiPollutant[];
  /** Pollutants with IAQI > 100 (超标污染物; threshold unconfirmed, docs/standards/hj633-aqi.md §3 ❓). */
  readonly exceedingPollutants: readonly AqiPollutant[];
  /** Pollutants above their table's top breakpoint, whose IAQI was capped at 500. */
  readonly aboveScale: readonly AqiPollutant[];
  /** Pollutants given but not scored, with why. */
  readonly unscored: readonly { readonly pollutant: AqiPollutant; readonly reason: AqiUnscoredReason }[];
}

/**
 * AQI of a set of concentrations keyed by breakpoint table (HJ 633 §5): the maximum IAQI, its
 * level, and the primary pollutants. Daily reports pass 24h values plus O3 1h/8h maxima.
 * SO2-1h above 800 or O3-8h above 800 are left out (see `unscored`); pass `so2_24h` / `o3_1h`
 * alongside so the pollutant is still represented. Returns `null` when nothing could be scored.
 */
export function computeAqi(concentrations: Readonly<Partial<Record<AqiPollutant, number>>>): AqiResult | null {
  const scores: Partial<Record<AqiPollutant, number>> = {};
  const aboveScale: AqiPollutant[] = [];
  const unscored: { pollutant: AqiPollutant; reason: AqiUnscoredReason }[] = [];

  for (const pollutant of AQI_POLLUTANTS) {
    const c = concentrations[pollutant];
    if (c === undefined) continue;
    const score = iaqi(pollutant, c);
    if (score === null) {
      const reason: AqiUnscoredReason =
        !Number.isFinite(c) || c < 0 ? 'invalid' : pollutant === 'so2_1h' ? 'so2_1h_above_800' : 'o3_8h_above_800';
      unscored.push({ pollutant, reason });
      continue;
    }
    const bps = AQI_BREAKPOINTS[pollutant];
    if (c > bps[bps.length - 1]!) aboveScale.push(pollutant);
    scores[pollutant] = score;
  }

  const scored = AQI_POLLUTANTS.filter((p) => scores[p] !== undefined);
  if (scored.length === 0) return null;

  let aqi = -Infinity;
  for (const p of scored) aqi = Math.max(aqi, scores[p]!);
  const info = aqiLevelFor(aqi);
  return {
    aqi,
    level: info.level,
    levelName: info.levelName,
    category: info.category,
    color: info.color,
    iaqi: scores,
    primaryPollutants: aqi > 50 ? scored.filter((p) => scores[p] === aqi) : [],
    exceedingPollutants: scored.filter((p) => scores[p]! > 100),
    aboveScale,
    unscored,
  };
}

/** Hourly or instantaneous values as stations report them (μg/m³; CO mg/m³). */
export interface RealtimeAirValues {
  readonly pm25?: number;
  readonly pm10?: number;
  readonly so2?: number;
  readonly no2?: number;
  /** O3 1-hour value. */
  readonly o3?: number;
  readonly co?: number;
  /** O3 8-hour moving average, when the caller keeps one. */
  readonly o3_8h?: number;
}

/**
 * The breakpoint table each real-time value is scored on (docs/standards/hj633-aqi.md §3 real-time practice): PM
 * on the 24h tables (⚠️ practice, not the standard's text), SO2/NO2/CO/O3 on the 1h tables, and
 * SO2 above 800 on the 24h table, since the 1h table ends there.
 */
export function realtimeAqiInputs(values: RealtimeAirValues): Partial<Record<AqiPollutant, number>> {
  const out: Partial<Record<AqiPollutant, number>> = {};
  if (values.pm25 !== undefined) out.pm25_24h = values.pm25;
  if (values.pm10 !== undefined) out.pm10_24h = values.pm10;
  if (values.so2 !== undefined) {
    if (values.so2 > AQI_BREAKPOINTS.so2_1h[AQI_BREAKPOINTS.so2_1h.length - 1]!) out.so2_24h = values.so2;
    else out.so2_1h = values.so2;
  }
  if (values.no2 !== undefined) out.no2_1h = values.no2;
  if (values.co !== undefined) out.co_1h = values.co;
  if (values.o3 !== undefined) out.o3_1h = values.o3;
  if (values.o3_8h !== undefined) out.o3_8h = values.o3_8h;
  return out;
}

/**
 * `aqi` and `level` of `computeRealtimeAqi(values)` (null when it is null), without building
 * the rest of the result: what a rule needs for every reading; the full result only when a
 * warning is worded.
 */
export function realtimeAqiLevel(values: RealtimeAirValues): { readonly aqi: number; readonly level: AqiLevel } | null {
  let aqi = -Infinity;
  const score = (pollutant: AqiPollutant, c: number | undefined): void => {
    if (c === undefined) return;
    const s = iaqi(pollutant, c);
    if (s !== null && s > aqi) aqi = s;
  };
  score('pm25_24h', values.pm25);
  score('pm10_24h', values.pm10);
  if (values.so2 !== undefined) score(values.so2 > AQI_BREAKPOINTS.so2_1h[AQI_BREAKPOINTS.so2_1h.length - 1]! ? 'so2_24h' : 'so2_1h', values.so2);
  score('no2_1h', values.no2);
  score('co_1h', values.co);
  score('o3_1h', values.o3);
  score('o3_8h', values.o3_8h);
  if (aqi === -Infinity) return null;
  return { aqi, level: aqiLevelFor(aqi).level };
}

/** Real-time (hourly) AQI from station values; see `realtimeAqiInputs` for the table mapping. */
export function computeRealtimeAqi(values: RealtimeAirValues): AqiResult | null {
  return computeAqi(realtimeAqiInputs(values));
}
