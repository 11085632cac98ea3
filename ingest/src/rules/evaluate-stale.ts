/** stale: a station silent longer than its expected interval × factor (checked by a timer, not by readings). */
import type { Station } from '@shanshui/models';
import type { StaleRule } from './rule-schema.ts';
import type { RuleVerdict } from './rule-verdict.ts';

/** Silence allowed for `station` under `rule`, ms; the station attribute `expectedIntervalSec` wins over the rule's. */
export function staleLimitMs(rule: StaleRule, station: Station): number {
  const attr = station.attributes?.['expectedIntervalSec'];
  const interval = typeof attr === 'number' && attr > 0 ? attr : rule.expectedIntervalSec;
  return interval * rule.factor * 1000;
}

export function evaluateStale(rule: StaleRule, station: Station, lastSeenMs: number, nowMs: number): RuleVerdict {
  const silentSec = Math.max(0, (nowMs - lastSeenMs) / 1000);
  const limitMs = staleLimitMs(rule, station);
  return {
    raw: nowMs - lastSeenMs > limitMs ? rule.level : null,
    value: Math.round(silentSec),
    describe: () => `已 ${silentSec >= 120 ? `${Math.round(silentSec / 60)} 分钟` : `${Math.round(silentSec)} 秒`}无数据（预期间隔 ${limitMs / 1000 / rule.factor} 秒，疑似离线）`,
  };
}
