/** anomaly, trend, corroboration (k of n) and the fire-danger classification, on the engine. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import { toRule } from './rule-store.ts';
import type { RuleStore } from './rule-store.ts';
import { openPlatformStore } from '../state/open-platform-store.ts';
import { RuleEngine } from './rule-engine.ts';
import type { RuleTransition } from './rule-engine.ts';
import { RuleInputSchema } from './rule-schema.ts';
import type { RuleInput } from './rule-schema.ts';
import { fitSlopePerSec } from './fit-slope.ts';
import { emptyBaseline, robustScore, seasonBucket, updateBaseline } from './robust-baseline.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2027, 0, 4, 16, 0, 0); // 00:00 in China (UTC+8)
const MIN = 60_000;
const HOUR = 3_600_000;
const station = (id: string, extra: Partial<Station> = {}): Station => ({ id, name: `站 ${id}`, domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '', ...extra });

async function engineWith(rules: RuleInput[]): Promise<{ engine: RuleEngine; store: RuleStore }> {
  const store = (await openPlatformStore({ sqliteFile: ':memory:', logger })).rules;
  for (const r of rules) await store.save(toRule(r), 'create', 'test');
  return { engine: await RuleEngine.open(store, logger, T0), store };
}
const at = (ts: number, values: Record<string, number>): Reading => ({ ts, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { v, q: 'ok' as const }])) });

// ── anomaly ────────────────────────────────────────────────────────────────────

test('robust baseline: one outlier barely moves it; seasonBucket is the local hour', async () => {
  const o = { buckets: 1, halfLifeSamples: 50, minSamples: 10, minMad: 0 };
  const b = emptyBaseline(1);
  for (let i = 0; i < 200; i++) updateBaseline(b, 0, 50 + (i % 5) - 2, o);
  const before = { med: b.med[0]!, mad: b.mad[0]! };
  assert.ok(Math.abs(before.med - 50) < 0.5 && before.mad > 0.5 && before.mad < 2, JSON.stringify(before));
  assert.ok(robustScore(b, 0, 500, o)! > 100);
  updateBaseline(b, 0, 500, o);
  assert.ok(b.med[0]! - before.med < 0.2, 'a Huber-clipped update');
  assert.equal(seasonBucket(T0, 'hour_of_day', 480), 0);
  assert.equal(seasonBucket(T0 + 14 * HOUR, 'hour_of_day', 480), 14);
  assert.equal(seasonBucket(T0 + 14 * HOUR, 'none', 480), 0);
});

test('anomaly: learns the daily cycle per hour; fires on a value unusual for its hour, not on the daily peak', async () => {
  const rule: RuleInput = { id: 'o3-anomaly', name: 'O3 异常', kind: 'anomaly', metric: 'o3', levels: { blue: 5, orange: 10 }, minSamples: 20, halfLifeSamples: 200, minMad: 1 };
  const { engine } = await engineWith([rule]);
  const s = station('air-a');
  // O3 peaks at 14:00 (~160) and is ~20 at night; 10 days, every 10 min, a little noise.
  const normal = (ts: number, i: number): number => {
    const hour = seasonBucket(ts, 'hour_of_day', 480);
    return 20 + 140 * Math.max(0, Math.cos(((hour - 14) / 24) * 2 * Math.PI)) ** 2 + ((i * 7) % 5) - 2;
  };
  const fired: RuleTransition[] = [];
  let i = 0;
  for (let ts = T0; ts < T0 + 10 * 24 * HOUR; ts += 10 * MIN, i++) fired.push(...engine.evaluate(s, [at(ts, { o3: normal(ts, i) })], T0));
  assert.deepEqual(fired, [], 'the daily peak is normal for its hour');
  // 160 at 03:00 is normal at 14:00, but not at night.
  const night = T0 + 10 * 24 * HOUR + 3 * HOUR;
  const [t] = engine.evaluate(s, [at(night, { o3: 160 })], T0);
  assert.equal(t?.to, 'orange');
  assert.match(t!.condition, /臭氧|O3/);
  assert.match(t!.condition, /异常偏高：160 .*3 时常态/);
  assert.equal(engine.evaluate(s, [at(night + 10 * MIN, { o3: normal(night, 1) })], T0)[0]?.to, null, 'back to normal clears');
});

test('anomaly: no verdict before minSamples; the baseline survives a restart (bounded state)', async () => {
  const rule: RuleInput = { id: 'pm-anomaly', name: 'a', kind: 'anomaly', metric: 'pm25', levels: { blue: 4 }, seasonality: 'none', minSamples: 10, minMad: 0.5 };
  const { engine, store } = await engineWith([rule]);
  const s = station('air-b');
  assert.deepEqual(engine.evaluate(s, [at(T0, { pm25: 10 })], T0), []);
  assert.deepEqual(engine.evaluate(s, [at(T0 + MIN, { pm25: 900 })], T0), [], 'warming up');
  for (let i = 2; i < 40; i++) engine.evaluate(s, [at(T0 + i * MIN, { pm25: 10 + (i % 3) })], T0);
  await engine.flush();
  const state = (await store.loadStates()).values().next().value!;
  assert.equal(state.anomaly!.med.length, 1);
  assert.ok(JSON.stringify(state).length < 400, 'O(buckets) state');
  const again = await RuleEngine.open(store, logger, T0);
  assert.equal(again.evaluate(s, [at(T0 + 50 * MIN, { pm25: 60 })], T0)[0]?.to, 'blue');
});

// ── trend ──────────────────────────────────────────────────────────────────────

test('fitSlopePerSec: least squares over the samples', async () => {
  assert.equal(fitSlopePerSec([[T0, 1]]), undefined);
  assert.ok(Math.abs(fitSlopePerSec([[T0, 100], [T0 + 1000, 101], [T0 + 2000, 102.2]])! - 1.1) < 1e-9);
});

test('trend: warns when the fitted rise predicts crossing the flood-limit level within the horizon, with the time', async () => {
  const rule: RuleInput = {
    id: 'rsv-trend', name: '库水位趋势', kind: 'trend', metric: 'water_level', windowSec: 3600, horizonSec: 3600,
    levels: { yellow: 'floodLimitLevel', red: 'checkFloodLevel' }, minSamples: 3,
  };
  const { engine } = await engineWith([rule]);
  const rsv = station('rsv-1', { name: '白云水库', domain: 'reservoir', attributes: { floodLimitLevel: 103, designFloodLevel: 105, checkFloodLevel: 107 } });
  const feed = (min: number, v: number) => engine.evaluate(rsv, [at(T0 + min * MIN, { water_level: v })], T0);
  // Rising 1 m/h from 101: at minute 30 (101.5) the projection is 102.5 — below 103.
  for (let m = 0; m <= 30; m += 5) assert.deepEqual(feed(m, 101 + m / 60), [], `minute ${m}`);
  // Minute 60: 102 + 1 = 103, not above; minute 65: 102.083 + 1 > 103 → yellow, crossing in 55 min.
  for (let m = 35; m <= 60; m += 5) assert.deepEqual(feed(m, 101 + m / 60), [], `minute ${m}`);
  const [t] = feed(65, 101 + 65 / 60);
  assert.equal(t?.to, 'yellow');
  assert.match(t!.condition, /^库水位 预计 55 分钟后超过汛限水位 103 m（当前 102.083 m，每小时上涨 1 m）$/);
  // The rise stops: the projection falls back under the level and the warning clears.
  for (let m = 80; m <= 150; m += 5) feed(m, 102.3);
  assert.equal(engine.evaluate(rsv, [at(T0 + 155 * MIN, { water_level: 102.3 })], T0).length, 0);
  // A station without the attribute is skipped, not an error.
  assert.deepEqual(engine.evaluate(station('rsv-x', { domain: 'reservoir' }), [at(T0, { water_level: 500 })], T0), []);
});

test('trend definitions: thresholds are numbers or attribute names; numeric ones must rise', async () => {
  const base = { name: 'x', kind: 'trend', metric: 'water_level', windowSec: 3600, horizonSec: 1800 };
  assert.ok(RuleInputSchema.safeParse({ ...base, levels: { blue: 'floodLimitLevel', red: 107 } }).success);
  assert.ok(!RuleInputSchema.safeParse({ ...base, levels: { blue: 105, red: 103 } }).success);
  assert.ok(!RuleInputSchema.safeParse({ ...base, levels: { blue: 'not an attribute!' } }).success);
  assert.ok(!RuleInputSchema.safeParse({ ...base, horizonSec: 0, levels: { blue: 1 } }).success);
});

// ── corroboration ──────────────────────────────────────────────────────────────

test('corroborate k of n: a lone station is capped below minLevel; the second one in the basin lifts both; another basin does not count', async () => {
  const rule: RuleInput = {
    id: 'nh3n', name: '氨氮', kind: 'threshold', metric: 'nh3n', op: 'above', levels: { blue: 1, yellow: 1.5, orange: 2, red: 5 },
    corroborate: { group: 'basin', k: 2, minLevel: 'orange' },
  };
  const stations = new Map<string, Station>();
  for (const [id, basin] of [['w1', '珠江'], ['w2', '珠江'], ['w3', '珠江'], ['w9', '韩江']] as const) stations.set(id, station(id, { domain: 'water', attributes: { basin } }));
  const store = (await openPlatformStore({ sqliteFile: ':memory:', logger })).rules;
  await store.save(toRule(rule), 'create', 'test');
  const engine = await RuleEngine.open(store, logger, T0, { station: (id) => stations.get(id) });
  const send = (id: string, v: number, min: number) => engine.evaluate(stations.get(id)!, [at(T0 + min * MIN, { nh3n: v })], T0).map((t) => `${t.station.id}:${t.to}`);

  assert.deepEqual(send('w1', 6, 0), ['w1:yellow'], 'red alone → capped at yellow');
  assert.deepEqual(send('w9', 3, 1), ['w9:yellow'], 'another basin');
  assert.deepEqual(send('w2', 2.5, 2), ['w2:orange', 'w1:red'], 'a second station of the basin corroborates both');
  const [t] = engine.evaluate(stations.get('w3')!, [at(T0 + 3 * MIN, { nh3n: 2.2 })], T0);
  assert.equal(t?.to, 'orange');
  assert.match(t!.condition, /同一流域 3 站同时达到橙色预警/);
  assert.deepEqual(send('w2', 0.5, 4), ['w2:null'], 'w1 and w3 still agree');
  assert.deepEqual(send('w3', 0.5, 5), ['w3:null', 'w1:yellow'], 'w1 alone again: capped');
});

test('corroborate: a station without the group attribute is a group of its own', async () => {
  const rule: RuleInput = { id: 'pm', name: 'pm', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, red: 150 }, corroborate: { group: 'basin', k: 2, minLevel: 'red' } };
  const { engine } = await engineWith([rule]);
  assert.equal(engine.evaluate(station('x1'), [at(T0, { pm25: 200 })], T0)[0]?.to, 'blue');
  assert.equal(engine.evaluate(station('x2'), [at(T0, { pm25: 200 })], T0)[0]?.to, 'blue');
});

// ── fire danger ────────────────────────────────────────────────────────────────

test('fire_danger: index from the day so far; dry days counted across days in the state; rain lowers the next day', async () => {
  const { engine } = await engineWith([{ id: 'fire', name: '森林火险', kind: 'classification', classifier: 'fire_danger' }]);
  const forest = station('ff-1', { domain: 'forest_fire' });
  const day = (d: number, h: number) => T0 + d * 24 * HOUR + h * HOUR;
  const send = (ts: number, v: Record<string, number>) => engine.evaluate(forest, [at(ts, v)], T0);
  // The rule starts watching on day −1 (a day of data before any level).
  assert.deepEqual(send(day(-1, 13), { temperature: 20, humidity: 60, wind_speed: 1, rainfall: 0 }), []);
  // Day 0: 27 ℃ (20), 30 % (16), wind 9 m/s = force 5 (25), 1 dry day (day −1) + today → 2 days (10)?
  // Day −1 ended dry: 2 days without rain (5 + 5) → 71 三级 → yellow.
  const [t] = send(day(0, 14), { temperature: 27, humidity: 30, wind_speed: 9, rainfall: 0 });
  assert.equal(t?.to, 'yellow');
  assert.match(t!.condition, /^森林火险 三级（较高火险，指数 \d+；最高气温 27 ℃，最小湿度 30 %，连续 2 天无降水）$/);
  // Day 2 (day 1 silent counts as dry): 4 dry days → 四级 → orange.
  assert.equal(send(day(2, 14), { temperature: 27, humidity: 30, wind_speed: 9, rainfall: 0 })[0]?.to, 'orange');
  // Rain on day 3: the day's level stands (a daily index does not fall within the day) …
  assert.deepEqual(send(day(3, 15), { temperature: 27, humidity: 30, wind_speed: 9 }).map((x) => x.to), []);
  assert.deepEqual(send(day(3, 16), { rainfall: 12 }), []);
  // … and day 4's 14:00, after a wet day 3 (no dry days, no wind): 二级 or less → clears.
  assert.deepEqual(send(day(4, 9), { temperature: 20, humidity: 60, wind_speed: 1 }), [], 'yesterday’s level stands until 14:00');
  assert.equal(send(day(4, 14), { temperature: 20, humidity: 60, wind_speed: 1, rainfall: 0 })[0]?.to, null);
});

test('fire_danger: a new station’s first readings fire nothing, and a warning does not flap with each reading', async () => {
  const { engine } = await engineWith([{ id: 'fire', name: '森林火险', kind: 'classification', classifier: 'fire_danger' }]);
  const forest = station('ff-2', { domain: 'forest_fire' });
  const transitions: Array<{ ts: number; to: string | null }> = [];
  // A hot, dry, windy station reporting every 10 s for 2 days, with one light shower (0.2 mm) on the second afternoon.
  const shower = T0 + 40 * HOUR;
  for (let ts = T0 + 10 * HOUR, i = 0; ts < T0 + 58 * HOUR; ts += 10_000, i++) {
    for (const t of engine.evaluate(forest, [at(ts, { temperature: 30 + (i % 7), humidity: 25 + (i % 11), wind_speed: 9, rainfall: ts === shower ? 0.2 : 0 })], T0)) transitions.push({ ts, to: t.to });
  }
  const firstDay = transitions.filter((t) => t.ts < T0 + 34 * HOUR);
  assert.deepEqual(firstDay, [], 'nothing during the first day of data');
  assert.ok(transitions.length >= 1 && transitions.length <= 2, `a daily level, not a flap per reading: ${JSON.stringify(transitions.map((t) => t.to))}`);
  assert.ok(transitions.every((t) => t.to !== null), 'never resolved by one reading');
});

test('water_class: the alert text names the worst factors in Chinese (总磷、总氮), not by metric code', async () => {
  const { engine } = await engineWith([{ id: 'wq', name: '水质类别', kind: 'classification', classifier: 'water_class' }]);
  const water = station('w-1', { domain: 'water', attributes: { waterBody: 'lake' } });
  const [t] = engine.evaluate(water, [at(T0, { ph: 7.5, do: 6, tp: 0.45, tn: 2.2 })], T0);
  assert.ok(t, 'a water-class alert');
  assert.match(t.condition, /总磷、总氮/);
  assert.doesNotMatch(t.condition, /\btp\b|\btn\b/);
});
