/**
 * classification fire_danger: the LY/T 1172 fire-danger index (models' computeFireDangerIndex)
 * from the local day's weather so far — highest temperature, lowest humidity, strongest wind
 * (as Beaufort force), rainfall summed over the day's readings (`rainfall` is taken as the
 * amount since the previous reading) — and the days without rain, kept in the rule state:
 * a day ending with < 0.1 mm adds one, a wetter day resets the count; days the station was
 * silent count as dry (the cautious choice). The count starts when the rule first sees the
 * station, so the index understates a dry spell that began earlier.
 *
 * It is a daily index (LY/T 1172 takes the day's 14:00 observations), so it neither fires on a
 * station's first reading nor flaps with each one:
 * - no level before the rule has watched the station for a day (`MIN_WATCH_MS`): one reading
 *   is not a day's weather;
 * - within a local day the level only rises (the day's highest index stands; rain lowers the
 *   next day's);
 * - until the day's 14:00 (`DAY_OBSERVATION_HOUR`) yesterday's level stays in force, so the
 *   mild small hours do not resolve a warning that the afternoon will raise again.
 */
import { FIRE_DANGER_LEVEL_INFO, computeFireDangerIndex, isTrustworthy, maxWarningLevel, windForceFromSpeed } from '@shanshui/models';
import type { Reading, WarningLevel } from '@shanshui/models';
import type { FireDayState, RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { withUnit } from './metric-label.ts';

/** Rain below this (mm) leaves a day dry (LY/T 1172). */
const RAIN_DAY_MM = 0.1;
const MAX_DRY_DAYS = 366;
/** A day of readings before the first level. */
export const MIN_WATCH_MS = 86_400_000;
/** Local hour from which a day's index replaces yesterday's (the standard's 14:00 observations). */
export const DAY_OBSERVATION_HOUR = 14;

function localDay(ts: number, utcOffsetMin: number): string {
  return new Date(ts + utcOffsetMin * 60_000).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}

/** Rolls the day over if needed and folds the reading's trustworthy weather values in. */
export function updateFireDay(state: RuleState, reading: Reading, utcOffsetMin: number): FireDayState {
  const day = localDay(reading.ts, utcOffsetMin);
  let f = state.fire;
  if (!f) f = { day, rainfallMm: 0, dryDaysBefore: 0, watchedSince: reading.ts, dayLevel: null, carriedLevel: null };
  else if (day > f.day) {
    const gap = daysBetween(f.day, day);
    const dry = f.rainfallMm < RAIN_DAY_MM ? f.dryDaysBefore + 1 : 0;
    // Yesterday's final level carries over only to the next day; a silent day carries nothing.
    const carriedLevel = gap === 1 ? (f.dayLevel ?? null) : null;
    f = { day, rainfallMm: 0, dryDaysBefore: Math.min(MAX_DRY_DAYS, dry + Math.max(0, gap - 1)), watchedSince: f.watchedSince ?? reading.ts, dayLevel: null, carriedLevel };
  }
  f.watchedSince ??= reading.ts;
  state.fire = f;
  const v = (m: string): number | undefined => {
    const x = reading.values[m];
    return x && isTrustworthy(x.q) ? x.v : undefined;
  };
  const t = v('temperature');
  const h = v('humidity');
  const w = v('wind_speed');
  const r = v('rainfall');
  if (day === f.day) {
    if (t !== undefined) f.maxTemperature = Math.max(f.maxTemperature ?? -Infinity, t);
    if (h !== undefined) f.minHumidity = Math.min(f.minHumidity ?? Infinity, h);
    if (w !== undefined) f.maxWindSpeed = Math.max(f.maxWindSpeed ?? 0, w);
    if (r !== undefined && r > 0) f.rainfallMm += r;
  }
  return f;
}

export function evaluateFireDanger(map: Readonly<Record<string, WarningLevel>>, reading: Reading, state: RuleState, utcOffsetMin: number): RuleVerdict | undefined {
  const f = updateFireDay(state, reading, utcOffsetMin);
  if (f.maxTemperature === undefined || f.minHumidity === undefined) return undefined;
  const rained = f.rainfallMm >= RAIN_DAY_MM;
  const daysWithoutRain = rained ? 0 : f.dryDaysBefore + 1;
  const result = computeFireDangerIndex({
    maxTemperature: f.maxTemperature,
    minHumidity: f.minHumidity,
    daysWithoutRain,
    windForce: windForceFromSpeed(f.maxWindSpeed ?? 0),
    rainfallMm: f.rainfallMm,
  });
  const info = FIRE_DANGER_LEVEL_INFO[result.level];
  // One reading is not a day's weather: nothing until the rule has watched the station a day.
  if (reading.ts - f.watchedSince! < MIN_WATCH_MS) return undefined;
  f.dayLevel = maxWarningLevel(f.dayLevel, map[String(result.level)] ?? null);
  const localHour = new Date(reading.ts + utcOffsetMin * 60_000).getUTCHours();
  const raw = localHour >= DAY_OBSERVATION_HOUR ? f.dayLevel : maxWarningLevel(f.carriedLevel, f.dayLevel);
  return {
    raw,
    value: result.index,
    describe: () =>
      `森林火险 ${info.levelName}（${info.name}，指数 ${result.index}；最高气温 ${withUnit(f.maxTemperature!, '℃')}，最小湿度 ${withUnit(f.minHumidity!, '%')}，连续 ${daysWithoutRain} 天无降水${rained ? `，今日降水 ${withUnit(f.rainfallMm, 'mm')}` : ''}${raw !== (map[String(result.level)] ?? null) ? '；日火险等级，当日最高或 14 时前沿用昨日' : ''}）`,
  };
}
