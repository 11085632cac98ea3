/** threshold: the metric above (or below) a level's threshold, with hysteresis (`clearDelta`). */
import { isTrustworthy } from '@shanshui/models';
import type { Reading, Station } from '@shanshui/models';
import type { ThresholdRule } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { levelForValue } from './level-for-value.ts';
import { metricLabel, withUnit } from './metric-label.ts';

export function evaluateThreshold(rule: ThresholdRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const value = reading.values[rule.metric];
  if (!value || !isTrustworthy(value.q)) return undefined;
  const { name, unit } = metricLabel(station.domain, rule.metric);
  return {
    raw: levelForValue(rule.levels, rule.op, value.v, state.active, rule.clearDelta),
    value: value.v,
    describe: (level) => `${name} ${rule.op === 'above' ? '超过' : '低于'} ${withUnit(rule.levels[level] ?? value.v, unit)}`,
  };
}
