/**
 * data_quality: spike and flatline checks on one metric, before every other rule. Returns the
 * flag the value gets (null = clean) and the verdict of the maintenance alert: raised at the
 * rule's level while the sensor is stuck or spiking, cleared once it behaves again (a run is
 * broken; `clearAfter` clean values after the last spike).
 */
import { isTrustworthy } from '@shanshui/models';
import type { Reading, Station } from '@shanshui/models';
import type { DataQualityRule } from './rule-schema.ts';
import type { QualityState, RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { isSpike } from './check-spike.ts';
import { checkFlatline } from './check-flatline.ts';
import { metricLabel, withUnit } from './metric-label.ts';

export type QualityFlag = 'spike' | 'flatline';

export interface QualityCheck {
  readonly flag: QualityFlag | null;
  readonly verdict: RuleVerdict;
}

function duration(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min >= 120 ? `${Math.round(min / 60)} 小时` : `${min} 分钟`;
}

/** undefined when the reading has no trustworthy value of the metric (flags from the device stand). */
export function evaluateDataQuality(rule: DataQualityRule, station: Station, reading: Reading, state: RuleState): QualityCheck | undefined {
  const value = reading.values[rule.metric];
  if (!value || !isTrustworthy(value.q)) return undefined;
  const q: QualityState = (state.quality ??= { recent: [] });
  const x = value.v;

  const stuck = rule.flatline ? checkFlatline(q, x, reading.ts, rule.flatline) : false;
  const spike = !stuck && rule.spike ? isSpike(q.recent, x, rule.spike) : false;
  if (rule.spike) {
    q.recent.push(x);
    while (q.recent.length > rule.spike.window) q.recent.shift();
    // undefined (null once saved) = no spike seen yet; counting stops at clearAfter.
    q.cleanSinceSpike = spike ? 0 : q.cleanSinceSpike == null ? undefined : Math.min(q.cleanSinceSpike + 1, rule.spike.clearAfter);
  }
  const flag: QualityFlag | null = stuck ? 'flatline' : spike ? 'spike' : null;
  const spiking = rule.spike !== undefined && q.cleanSinceSpike != null && q.cleanSinceSpike < rule.spike.clearAfter;
  const problem: QualityFlag | null = stuck ? 'flatline' : spiking ? 'spike' : null;
  // The alert is about the problem seen first; a stuck sensor outranks a spike.
  const about: QualityFlag = problem === 'flatline' ? 'flatline' : (q.problem ?? problem ?? 'spike');
  q.problem = problem === null ? null : about;
  q.lastFlag = flag;

  const runMs = reading.ts - (q.runSinceTs ?? reading.ts);
  const describe = (): string => {
    const { name, unit } = metricLabel(station.domain, rule.metric);
    if (problem === null) return `${name} 传感器${about === 'flatline' ? '疑似恒值（卡死）' : '数据突变'}`;
    return about === 'flatline'
      ? `${name} 传感器疑似恒值（卡死，${duration(runMs)}保持 ${withUnit(q.runValue ?? x, unit)}），请检修`
      : `${name} 传感器数据突变（${withUnit(x, unit)}），疑似故障，请检修`;
  };
  return {
    flag,
    verdict: { raw: problem === null ? null : rule.level, value: x, describe },
  };
}
