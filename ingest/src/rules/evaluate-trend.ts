/**
 * trend: the rate of rise fitted by least squares over the last `windowSec`, projected
 * `horizonSec` ahead; a level fires when value + max(rate, 0) × horizon crosses its threshold.
 * Thresholds may name station attributes (floodLimitLevel …), resolved per station.
 */
import { isTrustworthy } from '@shanshui/models';
import type { Reading, Station, WarningLevel } from '@shanshui/models';
import { WARNING_LEVELS } from '@shanshui/models';
import type { TrendRule } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { levelForValue } from './level-for-value.ts';
import { metricLabel, withUnit } from './metric-label.ts';
import { fitSlopePerSec } from './fit-slope.ts';

/** Most samples kept per (station, rule); older ones go first. */
export const MAX_TREND_SAMPLES = 2000;

/** Names of characteristic levels for messages. */
export const LEVEL_ATTRIBUTE_LABEL: Readonly<Record<string, string>> = {
  floodLimitLevel: '汛限水位',
  floodControlHighLevel: '防洪高水位',
  designFloodLevel: '设计洪水位',
  checkFloodLevel: '校核洪水位',
  normalLevel: '正常蓄水位',
  warningLevel: '警戒水位',
  guaranteeLevel: '保证水位',
};

function attribute(station: Station, key: string): number | undefined {
  const v = station.attributes?.[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function inWords(sec: number): string {
  if (sec < 90) return `${Math.max(1, Math.round(sec))} 秒`;
  if (sec < 2 * 3600) return `${Math.round(sec / 60)} 分钟`;
  return `${Math.round((sec / 3600) * 10) / 10} 小时`;
}

export function evaluateTrend(rule: TrendRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const value = reading.values[rule.metric];
  if (!value || !isTrustworthy(value.q)) return undefined;
  const samples = (state.samples ??= []);
  const from = reading.ts - rule.windowSec * 1000;
  while (samples.length > 0 && (samples[0]![0] < from || samples.length >= MAX_TREND_SAMPLES)) samples.shift();
  samples.push([reading.ts, value.v]);

  const thresholds: Partial<Record<WarningLevel, number>> = {};
  for (const level of WARNING_LEVELS) {
    const given = rule.levels[level];
    const limit = typeof given === 'string' ? attribute(station, given) : given;
    if (limit !== undefined) thresholds[level] = limit;
  }
  if (Object.keys(thresholds).length === 0) return undefined;
  const slope = samples.length >= rule.minSamples ? (fitSlopePerSec(samples) ?? 0) : 0;
  const rise = Math.max(0, slope);
  const projected = value.v + rise * rule.horizonSec;
  const { name, unit } = metricLabel(station.domain, rule.metric);
  return {
    raw: levelForValue(thresholds, 'above', projected, state.active, rule.clearDelta),
    value: Math.round(projected * 1000) / 1000,
    describe: (level) => {
      const limit = thresholds[level] ?? projected;
      const given = rule.levels[level];
      const what = `${typeof given === 'string' ? (LEVEL_ATTRIBUTE_LABEL[given] ?? given) + ' ' : ''}${withUnit(limit, unit)}`;
      const rate = `每小时上涨 ${withUnit(rise * 3600, unit)}`;
      if (value.v > limit) return `${name} ${withUnit(value.v, unit)} 已超过${what}，仍在上涨（${rate}）`;
      const eta = rise > 0 ? (limit - value.v) / rise : Infinity;
      return `${name} 预计 ${inWords(eta)}后超过${what}（当前 ${withUnit(value.v, unit)}，${rate}）`;
    },
  };
}
