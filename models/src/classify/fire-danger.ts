/**
 * Forest-fire danger weather levels and the simple fire-danger index of LY/T 1172-1995
 * (docs/standards/forest-fire.md §6): HTZ = A(最高气温) + B(最小相对湿度) + C(连续无降水日数) + D(风力等级)
 * − 降水订正 − E(物候订正). The scores come from one published local table (⚠️), so the table
 * is data the caller may replace.
 */

import { ClassifyError, requireFinite } from './classify-error.ts';
import type { WarningLevel } from './warning-level.ts';

export const FIRE_DANGER_LEVELS = [1, 2, 3, 4, 5] as const;
export type FireDangerLevel = (typeof FIRE_DANGER_LEVELS)[number];

export interface FireDangerLevelInfo {
  readonly level: FireDangerLevel;
  readonly levelName: '一级' | '二级' | '三级' | '四级' | '五级';
  readonly name: '低火险' | '较低火险' | '较高火险' | '高火险' | '极高火险';
  readonly colorName: '绿' | '蓝' | '黄' | '橙' | '红';
  /** Display colour; the hex values are the platform's, shared with the warning and AQI palettes. */
  readonly hex: string;
  /** 可燃程度. */
  readonly ignitability: '难燃' | '较难燃' | '较易燃' | '易燃' | '极易燃';
  /** Inclusive HTZ range as published (integers); fractions fall into the upper level. */
  readonly indexMin: number;
  readonly indexMax: number;
}

export const FIRE_DANGER_LEVEL_INFO: Readonly<Record<FireDangerLevel, FireDangerLevelInfo>> = {
  1: {
    level: 1,
    levelName: '一级',
    name: '低火险',
    colorName: '绿',
    hex: '#00E400',
    ignitability: '难燃',
    indexMin: Number.NEGATIVE_INFINITY,
    indexMax: 25,
  },
  2: { level: 2, levelName: '二级', name: '较低火险', colorName: '蓝', hex: '#0000FF', ignitability: '较难燃', indexMin: 26, indexMax: 50 },
  3: { level: 3, levelName: '三级', name: '较高火险', colorName: '黄', hex: '#FFFF00', ignitability: '较易燃', indexMin: 51, indexMax: 72 },
  4: { level: 4, levelName: '四级', name: '高火险', colorName: '橙', hex: '#FF7E00', ignitability: '易燃', indexMin: 73, indexMax: 90 },
  5: {
    level: 5,
    levelName: '五级',
    name: '极高火险',
    colorName: '红',
    hex: '#FF0000',
    ignitability: '极易燃',
    indexMin: 91,
    indexMax: Number.POSITIVE_INFINITY,
  },
};

/**
 * Danger level of an HTZ index: ≤25 一级, 26–50 二级, 51–72 三级, 73–90 四级, ≥91 五级.
 * The published bands are integers; a fraction above a band's top (25.5) belongs to the next
 * level, so the index never falls into a gap. Negative indexes (heavy rain) are 一级.
 */
export function fireDangerLevelFromIndex(htz: number): FireDangerLevel {
  requireFinite('fire danger index', htz);
  if (htz <= 25) return 1;
  if (htz <= 50) return 2;
  if (htz <= 72) return 3;
  if (htz <= 90) return 4;
  return 5;
}

/**
 * Fire warning signal raised for a danger level. This is the platform's choice, not part of
 * LY/T 1172: levels 3–5 raise the warning of the same colour (yellow/orange/red), which to our
 * knowledge matches the three-colour 森林火险气象预警信号 of provincial weather services; levels
 * 1–2 raise none — 二级's blue is a map colour for "较低火险", not a warning.
 */
export const FIRE_DANGER_WARNING_LEVEL: Readonly<Record<FireDangerLevel, WarningLevel | null>> = {
  1: null,
  2: null,
  3: 'yellow',
  4: 'orange',
  5: 'red',
};

/** Warning level for a fire danger level (platform mapping, see FIRE_DANGER_WARNING_LEVEL). */
export function fireWarningLevel(level: FireDangerLevel): WarningLevel | null {
  return FIRE_DANGER_WARNING_LEVEL[level];
}

export interface ScoreBand {
  readonly limit: number;
  readonly score: number;
}

/**
 * Ordered bands of one factor. With `match: 'atMost'` the first band whose limit ≥ value scores,
 * with `'atLeast'` the first band whose limit ≤ value; `otherwise` scores anything no band takes.
 * `otherwise` keeps tables JSON-friendly (no Infinity limits).
 */
export interface ScoreBands {
  readonly match: 'atMost' | 'atLeast';
  readonly bands: readonly ScoreBand[];
  readonly otherwise: number;
}

export interface FireScoringTable {
  /** A: daily maximum temperature, ℃. */
  readonly maxTemperature: ScoreBands;
  /** B: minimum relative humidity, % (the local table uses the 14:00 reading). */
  readonly minHumidity: ScoreBands;
  /** C: consecutive days without rain (a day with ≥ 0.1 mm counts as rain). */
  readonly daysWithoutRain: ScoreBands;
  /** D: wind force (Beaufort number; see windForceFromSpeed), the local table uses 14:00. */
  readonly windForce: ScoreBands;
  /** Subtracted for the day's rainfall, mm. */
  readonly rainfall: ScoreBands;
}

/**
 * The published local table of docs/standards/forest-fire.md §6 (⚠️ one source). The published bands leave gaps
 * between their 0.1-step or integer limits (temperature 5 → 5.1, humidity 64 → 65); bands are
 * written so that a value in a gap takes the more dangerous score.
 */
export const DEFAULT_FIRE_SCORING: FireScoringTable = {
  // ≤5→0, 5.1–10→4, 10.1–15→8, 15.1–20→12, 20.1–25→16, >25→20
  maxTemperature: {
    match: 'atMost',
    bands: [
      { limit: 5, score: 0 },
      { limit: 10, score: 4 },
      { limit: 15, score: 8 },
      { limit: 20, score: 12 },
      { limit: 25, score: 16 },
    ],
    otherwise: 20,
  },
  // ≥65→0, 55–64→4, 45–54→8, 35–44→12, 25–34→16, ≤24→20
  minHumidity: {
    match: 'atLeast',
    bands: [
      { limit: 65, score: 0 },
      { limit: 55, score: 4 },
      { limit: 45, score: 8 },
      { limit: 35, score: 12 },
      { limit: 25, score: 16 },
    ],
    otherwise: 20,
  },
  // 0→0, +5 per day, ≥10→50
  daysWithoutRain: {
    match: 'atLeast',
    bands: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((days) => ({ limit: days, score: days * 5 })),
    otherwise: 0,
  },
  // ≤1→5, +5 per force, ≥8→40
  windForce: {
    match: 'atLeast',
    bands: [8, 7, 6, 5, 4, 3, 2].map((force) => ({ limit: force, score: force * 5 })),
    otherwise: 5,
  },
  // 0.1–9.9→25, 10–16.9→30, 17–24.9→35, 25–37.9→40, 38–74.9→45, ≥75→50; dry day → 0
  rainfall: {
    match: 'atLeast',
    bands: [
      { limit: 75, score: 50 },
      { limit: 38, score: 45 },
      { limit: 25, score: 40 },
      { limit: 17, score: 35 },
      { limit: 10, score: 30 },
      { limit: 0.1, score: 25 },
    ],
    otherwise: 0,
  },
};

const FIRE_FACTORS = ['maxTemperature', 'minHumidity', 'daysWithoutRain', 'windForce', 'rainfall'] as const;

/** Throws MODELS_ERR_CLASSIFY_TABLE_INVALID unless every factor's bands are finite and ordered for their match. */
export function validateFireScoring(table: FireScoringTable): FireScoringTable {
  for (const factor of FIRE_FACTORS) {
    const bands = table[factor];
    const fail = (why: string): never => {
      throw new ClassifyError('MODELS_ERR_CLASSIFY_TABLE_INVALID', `fire scoring ${factor}: ${why}`);
    };
    if (bands === undefined || !Array.isArray(bands.bands)) fail('missing bands');
    if (bands.match !== 'atMost' && bands.match !== 'atLeast') fail(`match must be 'atMost' or 'atLeast'`);
    if (!Number.isFinite(bands.otherwise)) fail('otherwise must be a finite number');
    bands.bands.forEach((band, i) => {
      if (!Number.isFinite(band.limit) || !Number.isFinite(band.score)) fail(`band ${i} needs finite limit and score`);
      const prev = bands.bands[i - 1];
      if (prev === undefined) return;
      const ordered = bands.match === 'atMost' ? band.limit > prev.limit : band.limit < prev.limit;
      if (!ordered) fail(`band limits must be ${bands.match === 'atMost' ? 'increasing' : 'decreasing'} (band ${i})`);
    });
  }
  return table;
}

/** Score of one value against a factor's bands (see ScoreBands). */
export function scoreFromBands(bands: ScoreBands, value: number): number {
  const hit = bands.bands.find((band) => (bands.match === 'atMost' ? value <= band.limit : value >= band.limit));
  return hit === undefined ? bands.otherwise : hit.score;
}

export interface FireDangerInput {
  /** Daily maximum temperature, ℃. */
  readonly maxTemperature: number;
  /** Minimum (14:00) relative humidity, %. */
  readonly minHumidity: number;
  /** Consecutive days with < 0.1 mm rain up to the evaluated day. */
  readonly daysWithoutRain: number;
  /** Wind force (Beaufort 0–17); convert station m/s with windForceFromSpeed. */
  readonly windForce: number;
  /** Rainfall of the evaluated day, mm. Default 0. */
  readonly rainfallMm?: number;
  /** E, 物候订正 subtracted from the index (e.g. for green-up). Default 0. */
  readonly phenologyCorrection?: number;
}

export interface FireDangerResult {
  /** HTZ; may be negative after rain and phenology corrections. */
  readonly index: number;
  readonly level: FireDangerLevel;
  readonly levelName: FireDangerLevelInfo['levelName'];
  readonly name: FireDangerLevelInfo['name'];
  readonly colorName: FireDangerLevelInfo['colorName'];
  readonly ignitability: FireDangerLevelInfo['ignitability'];
  readonly warningLevel: WarningLevel | null;
  /** Each term of the index; `rainfall` and `phenologyCorrection` are the amounts subtracted. */
  readonly components: {
    readonly maxTemperature: number;
    readonly minHumidity: number;
    readonly daysWithoutRain: number;
    readonly windForce: number;
    readonly rainfall: number;
    readonly phenologyCorrection: number;
  };
}

function requireNonNegative(name: string, value: number): number {
  requireFinite(name, value);
  if (value < 0) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `${name} must be ≥ 0, got ${value}`);
  return value;
}

/** Fire-danger index HTZ and its level from daily weather (LY/T 1172-1995 simple method). */
export function computeFireDangerIndex(input: FireDangerInput, table: FireScoringTable = DEFAULT_FIRE_SCORING): FireDangerResult {
  validateFireScoring(table);
  const components = {
    maxTemperature: scoreFromBands(table.maxTemperature, requireFinite('maxTemperature', input.maxTemperature)),
    minHumidity: scoreFromBands(table.minHumidity, requireNonNegative('minHumidity', input.minHumidity)),
    daysWithoutRain: scoreFromBands(table.daysWithoutRain, requireNonNegative('daysWithoutRain', input.daysWithoutRain)),
    windForce: scoreFromBands(table.windForce, requireNonNegative('windForce', input.windForce)),
    rainfall: scoreFromBands(table.rainfall, requireNonNegative('rainfallMm', input.rainfallMm ?? 0)),
    phenologyCorrection: requireFinite('phenologyCorrection', input.phenologyCorrection ?? 0),
  };
  const index =
    components.maxTemperature +
    components.minHumidity +
    components.daysWithoutRain +
    components.windForce -
    components.rainfall -
    components.phenologyCorrection;
  const level = fireDangerLevelFromIndex(index);
  const info = FIRE_DANGER_LEVEL_INFO[level];
  return {
    index,
    level,
    levelName: info.levelName,
    name: info.name,
    colorName: info.colorName,
    ignitability: info.ignitability,
    warningLevel: FIRE_DANGER_WARNING_LEVEL[level],
    components,
  };
}
