/** Data quality before rules: spike (Hampel) and flatline checks, flags, maintenance alerts. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import { toRule } from './rule-store.ts';
import { openPlatformStore } from '../state/open-platform-store.ts';
import { RuleEngine } from './rule-engine.ts';
import { RuleInputSchema } from './rule-schema.ts';
import type { RuleInput } from './rule-schema.ts';
import { isSpike } from './check-spike.ts';
import { checkFlatline } from './check-flatline.ts';
import { median, medianAbsoluteDeviation } from './robust-stats.ts';
import { qualityCorrectionPoints } from './quality-correction-points.ts';

const logger = pino({ level: 'silent' });
const air: Station = { id: 'air-1', name: '天河空气站1号', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' };
const T0 = 1_800_000_000_000;
const MIN = 60_000;

async function engineWith(rules: RuleInput[]): Promise<RuleEngine> {
  const store = (await openPlatformStore({ sqliteFile: ':memory:', logger })).rules;
  for (const r of rules) await store.save(toRule(r), 'create', 'test');
  return RuleEngine.open(store, logger, T0);
}
const reading = (i: number, pm25: number): Reading => ({ ts: T0 + i * MIN, values: { pm25: { v: pm25, q: 'ok' } } });
const quality: RuleInput = {
  id: 'pm25-quality',
  name: 'PM2.5 数据质量',
  kind: 'data_quality',
  metric: 'pm25',
  spike: { window: 20, k: 6, minJump: 30, minSamples: 5, clearAfter: 3 },
  flatline: { minDurationSec: 30 * 60, minCount: 10 },
};
const pm25Rule: RuleInput = { id: 'pm25', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 } };

test('robust statistics: median and MAD ignore one wild value', async () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(medianAbsoluteDeviation([10, 11, 9, 10, 500]), 1);
});

test('isSpike: beyond max(k·1.4826·MAD, minJump) from the median, only with enough samples', async () => {
  const recent = [20, 22, 21, 19, 20, 23, 21, 20];
  const o = { k: 6, minJump: 30, minSamples: 5 };
  assert.equal(isSpike(recent, 400, o), true);
  assert.equal(isSpike(recent, 45, o), false, 'past k·MAD but within minJump');
  assert.equal(isSpike(recent.slice(0, 4), 400, o), false, 'too few samples');
  assert.equal(isSpike(recent, 60, { ...o, minJump: 5 }), true);
});

test('checkFlatline: needs both the duration and the count; any change starts a new run', async () => {
  const s = { recent: [] };
  const o = { minDurationSec: 600, minCount: 3, epsilon: 0.01 };
  assert.equal(checkFlatline(s, 5, T0, o), false);
  assert.equal(checkFlatline(s, 5.005, T0 + 5 * MIN, o), false, 'count 2');
  assert.equal(checkFlatline(s, 5, T0 + 10 * MIN, o), true, '3 readings over 10 minutes');
  assert.equal(checkFlatline(s, 5.5, T0 + 11 * MIN, o), false);
});

test('a spike is flagged, no rule fires on it, and a maintenance alert fires and resolves', async () => {
  const engine = await engineWith([quality, pm25Rule]);
  const values = [20, 22, 21, 19, 20, 23, 500, 21, 20, 22, 21];
  const log: Array<[string, string | null]> = [];
  const flags: string[] = [];
  values.forEach((v, i) => {
    const r = engine.evaluateReadings(air, [reading(i, v)], T0);
    for (const t of r.transitions) log.push([t.rule.id, t.to]);
    for (const f of r.flagged) flags.push(`${i}:${f.flag}`);
    if (i === 6) {
      assert.equal(r.readings[0]!.values['pm25']!.q, 'spike');
      assert.match(r.transitions[0]!.condition, /PM2.5 传感器数据突变（500 μg\/m³），疑似故障，请检修/);
    }
  });
  assert.deepEqual(flags, ['6:spike']);
  assert.deepEqual(log, [['pm25-quality', 'blue'], ['pm25-quality', null]], 'no PM2.5 warning on the spike; resolved after 3 clean values');
});

test('a stuck sensor is flagged flatline with a maintenance alert; it resolves when the value moves', async () => {
  const { spike: _, ...flatlineOnly } = quality as Extract<RuleInput, { kind: 'data_quality' }>;
  const engine = await engineWith([flatlineOnly, pm25Rule]);
  const out: Array<[string, string | null, string]> = [];
  for (let i = 0; i < 45; i++) {
    const v = i < 5 ? 20 + i : i < 40 ? 88 : 30 + i; // stuck at 88 (above the threshold!) from minute 5 to 39
    const r = engine.evaluateReadings(air, [reading(i, v)], T0);
    for (const t of r.transitions) out.push([t.rule.id, t.to, t.condition]);
  }
  const ids = out.map(([id, to]) => `${id}:${to}`);
  // 88 > 75: the threshold rule fires while the run is young (not yet known to be stuck) …
  assert.equal(ids[0], 'pm25:yellow');
  // … then the flatline check flags the values: the warning clears only when a real value comes.
  assert.ok(ids.includes('pm25-quality:blue'));
  assert.deepEqual(ids.slice(-2), ['pm25-quality:null', 'pm25:null'], 'a moving value resolves the maintenance alert and is trusted again');
  const fired = out.find(([id, to]) => id === 'pm25-quality' && to === 'blue')!;
  assert.match(fired[2], /^PM2.5 传感器疑似恒值（卡死，30 分钟保持 88 μg\/m³），请检修$/);
});

test('a resent reading is flagged the same way again', async () => {
  const engine = await engineWith([quality, pm25Rule]);
  for (let i = 0; i < 6; i++) engine.evaluateReadings(air, [reading(i, 20)], T0);
  engine.evaluateReadings(air, [reading(6, 500)], T0);
  const again = engine.evaluateReadings(air, [reading(6, 500)], T0);
  assert.equal(again.readings[0]!.values['pm25']!.q, 'spike');
  assert.deepEqual(again.transitions, [], 'and the threshold rule does not fire on it');
});

test('correction points: same series and timestamp, the value and q_<metric>', async () => {
  const r = reading(3, 500);
  const [p] = qualityCorrectionPoints(air, [r], [{ metric: 'pm25', ts: r.ts, flag: 'spike', ruleId: 'x' }]);
  assert.deepEqual(p, { measurement: 'air', tags: { station: 'air-1', domain: 'air', region: '440106', dept: 'eco-env' }, fields: { pm25: 500, q_pm25: 'spike' }, ts: r.ts });
});

test('data_quality definitions: at least one check; minSamples within the window', async () => {
  const base = { name: 'x', kind: 'data_quality', metric: 'pm25' };
  assert.ok(!RuleInputSchema.safeParse(base).success);
  assert.ok(!RuleInputSchema.safeParse({ ...base, spike: { minJump: 1, window: 5, minSamples: 10 } }).success);
  assert.ok(!RuleInputSchema.safeParse({ ...base, spike: { window: 5 } }).success, 'minJump is required');
  assert.ok(RuleInputSchema.safeParse({ ...base, flatline: { minDurationSec: 3600 } }).success);
});

test('isSpike (typed-array sort) decides exactly as median and MAD of robust-stats', async () => {
  const reference = (recent: number[], value: number, o: { k: number; minJump: number; minSamples: number }): boolean => {
    if (recent.length < o.minSamples) return false;
    const m = median(recent);
    return Math.abs(value - m) > Math.max(o.k * 1.4826 * medianAbsoluteDeviation(recent, m), o.minJump);
  };
  let s = 1;
  const r = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 50_000; i++) {
    const recent = Array.from({ length: Math.floor(r() * 40) }, () => (r() < 0.1 ? [0, -0, 5][Math.floor(r() * 3)]! : Math.round((r() - 0.5) * 100) / (r() < 0.5 ? 1 : 7)));
    const value = r() < 0.2 ? 0 : (r() - 0.5) * 300;
    const o = { k: 1 + r() * 8, minJump: r() < 0.3 ? 0 : r() * 50, minSamples: Math.floor(r() * 12) };
    assert.equal(isSpike(recent, value, o), reference(recent, value, o), JSON.stringify({ recent, value, o }));
  }
});
