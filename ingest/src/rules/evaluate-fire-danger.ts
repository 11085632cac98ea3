/**
 * classification fire_danger: the LY/T 1172 fire-danger index (models' computeFireDangerIndex)
 * from the local day's weather so far — highest temperature, lowest humidity, strongest wind
 * (as Beaufort force), rainfall summed over the day's readings (`rainfall` is taken as the
 * amount since the previous reading) — and the days without rain, kept in the rule state:
 * a day ending with < 0.1 mm adds one, a wetter day resets the count; days the station was
 * silent count as dry (the cautious choice). The count starts when the rule first sees the
 * station, so the index understates a dry spell that began earlier.
 */
import { FIRE_DANGER_LEVEL_INFO, computeFireDangerIndex, isTrustworthy, windForceFromSpeed } from '@shanshui/models';
import type { Reading, WarningLevel } from '@shanshui/models';
import type { FireDayState, RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { withUnit } from './metric-label.ts';

/** Rain below this (mm) leaves a day dry (LY/T 1172). */
const RAIN_DAY_MM = 0.1;
const MAX_DRY_DAYS = 366;

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
  if (!f) f = { day, rainfallMm: 0, dryDaysBefore: 0 };
  else if (day > f.day) {
    const gap = daysBetween(f.day, day);
    const dry = f.rainfallMm < RAIN_DAY_MM ? f.dryDaysBefore + 1 : 0;
    f = { day, rainfallMm: 0, dryDaysBefore: Math.min(MAX_DRY_DAYS, dry + Math.max(0, gap - 1)) };
  }
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
  return {
    raw: map[String(result.level)] ?? null,
    value: result.index,
    describe: () =>
      `森林火险 ${info.levelName}（${info.name}，指数 ${result.index}；最高气温 ${withUnit(f.maxTemperature!, '℃')}，最小湿度 ${withUnit(f.minHumidity!, '%')}，连续 ${daysWithoutRain} 天无降水${rained ? `，今日降水 ${withUnit(f.rainfallMm, 'mm')}` : ''}）`,
  };
}
