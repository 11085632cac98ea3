/**
 * anomaly: a value unusual for this station, metric and hour of day. The reading is scored
 * against the bucket's robust baseline first, then folded into it (clipped), so a lasting
 * change becomes the new normal over about halfLifeSamples samples.
 */
import { isTrustworthy } from '@shanshui/models';
import type { Reading, Station } from '@shanshui/models';
import type { AnomalyRule } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { levelForValue } from './level-for-value.ts';
import { metricLabel, withUnit } from './metric-label.ts';
import { emptyBaseline, robustScore, seasonBucket, updateBaseline } from './robust-baseline.ts';

export function evaluateAnomaly(rule: AnomalyRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const value = reading.values[rule.metric];
  if (!value || !isTrustworthy(value.q)) return undefined;
  const o = { buckets: rule.seasonality === 'none' ? 1 : 24, halfLifeSamples: rule.halfLifeSamples, minSamples: rule.minSamples, minMad: rule.minMad };
  if (!state.anomaly || state.anomaly.med.length !== o.buckets) state.anomaly = emptyBaseline(o.buckets);
  const bucket = seasonBucket(reading.ts, rule.seasonality, rule.utcOffsetMin);
  const baseline = state.anomaly.med[bucket]!;
  const signed = robustScore(state.anomaly, bucket, value.v, o);
  updateBaseline(state.anomaly, bucket, value.v, o);
  // Warming up: no verdict, so an open alert neither fires nor clears on it.
  if (signed === undefined) return undefined;
  const score = rule.direction === 'high' ? Math.max(0, signed) : rule.direction === 'low' ? Math.max(0, -signed) : Math.abs(signed);
  const { name, unit } = metricLabel(station.domain, rule.metric);
  const when = rule.seasonality === 'hour_of_day' ? `${bucket} 时` : '';
  return {
    raw: levelForValue(rule.levels, 'above', score, state.active, rule.clearDelta),
    value: Math.round(score * 100) / 100,
    describe: (level) =>
      `${name} 异常${signed >= 0 ? '偏高' : '偏低'}：${withUnit(value.v, unit)}，${when}常态 ${withUnit(baseline, unit)}，偏离 ${Math.round(score * 10) / 10} 倍稳健标准差（阈值 ${rule.levels[level] ?? score}）`,
  };
}
