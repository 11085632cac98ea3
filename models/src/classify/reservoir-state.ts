/**
 * State of a reservoir's water level against its characteristic levels (docs/standards/warning-levels.md §7). Each
 * reservoir station carries its own levels (m, same datum as the gauge); the flood-limit level
 * may be staged by period of the year (分期汛限水位).
 */

import { ClassifyError, requireFinite } from './classify-error.ts';
import type { WarningLevel } from './warning-level.ts';

/** One period of a staged flood-limit level; `'MM-DD'` bounds are inclusive and may wrap the new year. */
export interface StagedFloodLimit {
  readonly fromMonthDay: string;
  readonly toMonthDay: string;
  readonly level: number;
}

export interface ReservoirLevels {
  /** 死水位: lowest level in normal operation. Optional. */
  readonly deadLevel?: number;
  /**
   * 汛限水位 (防洪限制水位): one level that applies all year, or staged periods. On dates no period
   * covers (outside the flood season) no flood limit applies and `normalLevel` is the upper limit.
   */
  readonly floodLimitLevel: number | readonly StagedFloodLimit[];
  /** 正常蓄水位: upper limit of storage in normal operation. Optional. */
  readonly normalLevel?: number;
  /** 防洪高水位: highest level when the downstream design flood occurs. Optional. */
  readonly floodControlHighLevel?: number;
  /** 设计洪水位: highest level at the dam under the dam's design flood. */
  readonly designFloodLevel: number;
  /** 校核洪水位: highest level under the check flood; the highest characteristic level. */
  readonly checkFloodLevel: number;
}

export const RESERVOIR_STATES = [
  'below_dead',
  'normal',
  'above_flood_limit',
  'above_normal',
  'above_flood_control_high',
  'above_design_flood',
  'above_check_flood',
] as const;
export type ReservoirStateName = (typeof RESERVOIR_STATES)[number];

export const RESERVOIR_STATE_LABEL: Readonly<Record<ReservoirStateName, string>> = {
  below_dead: '低于死水位',
  normal: '正常',
  above_flood_limit: '超汛限水位',
  above_normal: '超正常蓄水位',
  above_flood_control_high: '超防洪高水位',
  above_design_flood: '超设计洪水位',
  above_check_flood: '超校核洪水位',
};

/**
 * Warning raised for each state — the platform's choice, not a national rule: one colour step
 * per characteristic level crossed (flood limit blue, 防洪高水位 yellow, design flood orange,
 * check flood red). Above the normal level outside the flood season is blue like the flood
 * limit, which it replaces. Below the dead level is a supply problem, not a flood warning.
 */
export const RESERVOIR_STATE_WARNING_LEVEL: Readonly<Record<ReservoirStateName, WarningLevel | null>> = {
  below_dead: null,
  normal: null,
  above_flood_limit: 'blue',
  above_normal: 'blue',
  above_flood_control_high: 'yellow',
  above_design_flood: 'orange',
  above_check_flood: 'red',
};

/** Flood seasons are set in Beijing time, whatever the server's zone. */
export const CHINA_UTC_OFFSET_MINUTES = 480;

const MONTH_DAY = /^(\d{2})-(\d{2})$/;
// Leap-year month lengths so that '02-29' is a valid bound.
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isMonthDay(value: string): boolean {
  const match = MONTH_DAY.exec(value);
  if (match === null) return false;
  const month = Number(match[1]);
  const day = Number(match[2]);
  return month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]!;
}

/** `'MM-DD'` of an instant in the given UTC offset (default Beijing time). */
export function monthDayOf(at: Date, utcOffsetMinutes: number = CHINA_UTC_OFFSET_MINUTES): string {
  const ms = at.getTime();
  requireFinite('date', ms);
  const shifted = new Date(ms + utcOffsetMinutes * 60_000);
  const mm = String(shifted.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(shifted.getUTCDate()).padStart(2, '0');
  return `${mm}-${dd}`;
}

function stageCovers(stage: StagedFloodLimit, monthDay: string): boolean {
  // Zero-padded 'MM-DD' strings order like dates, so plain string comparison works.
  return stage.fromMonthDay <= stage.toMonthDay
    ? monthDay >= stage.fromMonthDay && monthDay <= stage.toMonthDay
    : monthDay >= stage.fromMonthDay || monthDay <= stage.toMonthDay;
}

/**
 * Flood-limit level in force on a date: the level itself when not staged, the covering period's
 * level when staged, or `null` when no period covers the date. `at` may be a Date (read in
 * `utcOffsetMinutes`, default Beijing time) or an `'MM-DD'` string.
 */
export function floodLimitAt(
  at: Date | string,
  floodLimitLevel: number | readonly StagedFloodLimit[],
  utcOffsetMinutes: number = CHINA_UTC_OFFSET_MINUTES,
): number | null {
  if (typeof floodLimitLevel === 'number') return floodLimitLevel;
  const monthDay = typeof at === 'string' ? at : monthDayOf(at, utcOffsetMinutes);
  if (!isMonthDay(monthDay)) {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `date must be a Date or 'MM-DD', got ${JSON.stringify(at)}`);
  }
  return floodLimitLevel.find((stage) => stageCovers(stage, monthDay))?.level ?? null;
}

function allMonthDays(): string[] {
  const days: string[] = [];
  DAYS_IN_MONTH.forEach((count, m) => {
    for (let d = 1; d <= count; d++) days.push(`${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
  });
  return days;
}

/**
 * Throws MODELS_ERR_RESERVOIR_LEVELS_INVALID unless the levels are finite and ordered:
 * dead < flood limit ≤ normal; flood limit ≤ 防洪高水位 ≤ design flood ≤ check flood; normal ≤
 * check flood; staged periods have valid `'MM-DD'` bounds and do not overlap.
 */
export function validateReservoirLevels(levels: ReservoirLevels): ReservoirLevels {
  const fail = (message: string): never => {
    throw new ClassifyError('MODELS_ERR_RESERVOIR_LEVELS_INVALID', `reservoir levels: ${message}`);
  };
  const finite = (name: string, value: number | undefined): void => {
    if (value !== undefined && !Number.isFinite(value)) fail(`${name} must be a finite number, got ${String(value)}`);
  };
  // Missing optional levels impose no constraint.
  const below = (lowName: string, low: number | undefined, highName: string, high: number | undefined, strict: boolean): void => {
    if (low === undefined || high === undefined) return;
    if (strict ? low < high : low <= high) return;
    fail(`${lowName} (${low}) must be ${strict ? 'below' : 'at or below'} ${highName} (${high})`);
  };

  const { deadLevel, normalLevel, floodControlHighLevel, designFloodLevel, checkFloodLevel } = levels;
  finite('deadLevel', deadLevel);
  finite('normalLevel', normalLevel);
  finite('floodControlHighLevel', floodControlHighLevel);
  if (designFloodLevel === undefined) fail('designFloodLevel is required');
  if (checkFloodLevel === undefined) fail('checkFloodLevel is required');
  finite('designFloodLevel', designFloodLevel);
  finite('checkFloodLevel', checkFloodLevel);

  const floodLimits: { name: string; level: number }[] = [];
  if (typeof levels.floodLimitLevel === 'number') {
    floodLimits.push({ name: 'floodLimitLevel', level: levels.floodLimitLevel });
  } else if (Array.isArray(levels.floodLimitLevel) && levels.floodLimitLevel.length > 0) {
    const stages: readonly StagedFloodLimit[] = levels.floodLimitLevel;
    stages.forEach((stage, i) => {
      const name = `floodLimitLevel[${i}] (${stage.fromMonthDay}..${stage.toMonthDay})`;
      if (!isMonthDay(stage.fromMonthDay) || !isMonthDay(stage.toMonthDay)) fail(`${name}: bounds must be 'MM-DD' dates`);
      floodLimits.push({ name, level: stage.level });
    });
    for (const day of allMonthDays()) {
      const covering = stages.filter((stage) => stageCovers(stage, day));
      if (covering.length > 1) {
        fail(`staged flood-limit periods overlap on ${day}: ${covering.map((s) => `${s.fromMonthDay}..${s.toMonthDay}`).join(', ')}`);
      }
    }
  } else {
    fail('floodLimitLevel must be a number or a non-empty list of staged periods');
  }

  for (const { name, level } of floodLimits) {
    finite(name, level);
    below('deadLevel', deadLevel, name, level, true);
    below(name, level, 'normalLevel', normalLevel, false);
    below(name, level, 'floodControlHighLevel', floodControlHighLevel, false);
    below(name, level, 'designFloodLevel', designFloodLevel, false);
  }
  below('deadLevel', deadLevel, 'normalLevel', normalLevel, true);
  below('floodControlHighLevel', floodControlHighLevel, 'designFloodLevel', designFloodLevel, false);
  below('designFloodLevel', designFloodLevel, 'checkFloodLevel', checkFloodLevel, false);
  below('normalLevel', normalLevel, 'checkFloodLevel', checkFloodLevel, false);
  return levels;
}

export interface ReservoirStateOptions {
  /** Date of the reading; required when the flood-limit level is staged. */
  readonly at?: Date | string;
  /** Offset used to read `at`'s month and day. Default 480 (Beijing time). */
  readonly utcOffsetMinutes?: number;
}

export interface ReservoirStateResult {
  readonly state: ReservoirStateName;
  readonly label: string;
  readonly warningLevel: WarningLevel | null;
  /** Flood-limit level in force, or null when no staged period covers the date. */
  readonly floodLimitLevel: number | null;
  /** Level − flood limit in m (negative when below); null when no flood limit is in force. */
  readonly marginToFloodLimit: number | null;
  /** Level − normal level in m; null when the station has no normal level. */
  readonly marginToNormal: number | null;
}

// Gauges report to the millimetre (SL 651 water levels carry 3 decimals); rounding hides float noise.
const toMm = (metres: number): number => Math.round(metres * 1000) / 1000;

/**
 * State of a water level: 低于死水位 below the dead level, else the highest characteristic level
 * it exceeds (strictly: a level equal to the flood limit is still 正常). Outside staged flood
 * periods the normal level takes the flood limit's place (`above_normal`).
 */
export function reservoirState(
  level: number,
  levels: ReservoirLevels,
  options: ReservoirStateOptions = {},
): ReservoirStateResult {
  requireFinite('water level', level);
  validateReservoirLevels(levels);
  let floodLimit: number | null;
  if (typeof levels.floodLimitLevel === 'number') floodLimit = levels.floodLimitLevel;
  else if (options.at === undefined) {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', 'reservoirState needs options.at when the flood-limit level is staged');
  } else floodLimit = floodLimitAt(options.at, levels.floodLimitLevel, options.utcOffsetMinutes);
  const { deadLevel, normalLevel, floodControlHighLevel, designFloodLevel, checkFloodLevel } = levels;

  let state: ReservoirStateName;
  if (deadLevel !== undefined && level < deadLevel) state = 'below_dead';
  else if (level > checkFloodLevel) state = 'above_check_flood';
  else if (level > designFloodLevel) state = 'above_design_flood';
  else if (floodControlHighLevel !== undefined && level > floodControlHighLevel) state = 'above_flood_control_high';
  else if (floodLimit !== null && level > floodLimit) state = 'above_flood_limit';
  else if (floodLimit === null && normalLevel !== undefined && level > normalLevel) state = 'above_normal';
  else state = 'normal';

  return {
    state,
    label: RESERVOIR_STATE_LABEL[state],
    warningLevel: RESERVOIR_STATE_WARNING_LEVEL[state],
    floodLimitLevel: floodLimit,
    marginToFloodLimit: floodLimit === null ? null : toMm(level - floodLimit),
    marginToNormal: normalLevel === undefined ? null : toMm(level - normalLevel),
  };
}
