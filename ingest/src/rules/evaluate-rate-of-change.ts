/**
 * rate_of_change: how far the metric rose (or fell) within the last `windowSec` of device time —
 * the current value against the lowest (highest) sample in the window. Keeps the window's
 * samples in the rule state (bounded).
 */
import { isTrustworthy } from '@shanshui/models';
import type { Reading, Station } from '@shanshui/models';
import type { RateOfChangeRule } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { levelForValue } from './level-for-value.ts';
import { metricLabel, withUnit } from './metric-label.ts';

/** Most samples kept per (station, rule); older ones go first. */
export const MAX_RATE_SAMPLES = 2000;

export function evaluateRateOfChange(rule: RateOfChangeRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const value = reading.values[rule.metric];
  if (!value || !isTrustworthy(value.q)) return undefined;
  const samples = (state.samples ??= []);
  const from = reading.ts - rule.windowSec * 1000;
  while (samples.length > 0 && (samples[0]![0] < from || samples.length >= MAX_RATE_SAMPLES)) samples.shift();
  let extreme = value.v;
  for (const [, v] of samples) extreme = rule.direction === 'rise' ? Math.min(extreme, v) : Math.max(extreme, v);
  samples.push([reading.ts, value.v]);
  const change = rule.direction === 'rise' ? value.v - extreme : extreme - value.v;
  const { name, unit } = metricLabel(station.domain, rule.metric);
  const window = rule.windowSec % 3600 === 0 ? `${rule.windowSec / 3600} 小时` : rule.windowSec % 60 === 0 ? `${rule.windowSec / 60} 分钟` : `${rule.windowSec} 秒`;
  return {
    raw: levelForValue(rule.levels, 'above', change, state.active, rule.clearDelta),
    value: change,
    describe: (level) => `${name} ${window}内${rule.direction === 'rise' ? '上涨' : '下降'}超过 ${withUnit(rule.levels[level] ?? change, unit)}（当前 ${withUnit(value.v, unit)}）`,
  };
}
