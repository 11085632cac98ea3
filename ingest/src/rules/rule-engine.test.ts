/** Rule evaluators and the engine, on an in-memory SQLite store: pure steps, no network. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import { toRule } from './rule-store.ts';
import type { RuleStore } from './rule-store.ts';
import { openPlatformStore } from '../state/open-platform-store.ts';
import { FLUSH_SLICE_STATES, RuleEngine, rulesForStation } from './rule-engine.ts';
import { RuleInputSchema } from './rule-schema.ts';
import type { RuleInput } from './rule-schema.ts';
import { DEFAULT_RULES } from './default-rules.ts';
import { levelForValue } from './level-for-value.ts';

const logger = pino({ level: 'silent' });
const air: Station = { id: 'air-1', name: '天河空气站1号', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' };
const T0 = 1_800_000_000_000;

async function engineWith(rules: RuleInput[]): Promise<{ engine: RuleEngine; store: RuleStore }> {
  const store = (await openPlatformStore({ sqliteFile: ':memory:', logger })).rules;
  for (const r of rules) await store.save(toRule(r), 'create', 'test');
  return { engine: await RuleEngine.open(store, logger, T0), store };
}

const reading = (i: number, values: Record<string, number | { v: number; q: Reading['values'][string]['q'] }>): Reading => ({
  ts: T0 + i * 60_000,
  values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? { v, q: 'ok' } : v])),
});

/** Feeds values one reading per minute; returns the levels of the transitions in order (null = cleared). */
function feed(engine: RuleEngine, station: Station, metric: string, values: number[]): Array<string | null> {
  return values.flatMap((v, i) => engine.evaluate(station, [reading(i, { [metric]: v })], T0).map((t) => t.to));
}

const pm25 = (extra: Partial<RuleInput> = {}): RuleInput =>
  ({ id: 'pm25', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, yellow: 75, orange: 115, red: 150 }, ...extra }) as RuleInput;

test('levelForValue: highest crossed level; held levels clear only past clearDelta', async () => {
  const levels = { blue: 35, yellow: 75 };
  assert.equal(levelForValue(levels, 'above', 80, null, 10), 'yellow');
  assert.equal(levelForValue(levels, 'above', 70, null, 10), 'blue');
  assert.equal(levelForValue(levels, 'above', 70, 'yellow', 10), 'yellow');
  assert.equal(levelForValue(levels, 'above', 64, 'yellow', 10), 'blue');
  assert.equal(levelForValue({ blue: 3, red: 1 }, 'below', 0.5, null, 0), 'red');
  assert.equal(levelForValue({ blue: 3, red: 1 }, 'below', 3, null, 0), null, 'strictly below');
});

test('threshold: fires, escalates, clears; equal to the threshold does not fire', async () => {
  const { engine } = await engineWith([pm25()]);
  assert.deepEqual(feed(engine, air, 'pm25', [75, 80, 120, 90, 20]), ['blue', 'yellow', 'orange', 'yellow', null], '75 is not above 75: blue, not yellow');
});

test('threshold with hysteresis does not flap around the threshold', async () => {
  const { engine } = await engineWith([pm25({ levels: { yellow: 75 }, clearDelta: 10 } as Partial<RuleInput>)]);
  assert.deepEqual(feed(engine, air, 'pm25', [76, 74, 77, 70, 78, 66, 79, 64]), ['yellow', null]);
});

test('forSec: fires only once the level has held that long (device time)', async () => {
  const { engine } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  // one reading a minute: above at 0, 1, 2 min → fires at the third; a dip restarts the clock
  assert.deepEqual(feed(engine, air, 'pm25', [80, 80, 80]), ['yellow']);
  const { engine: e2 } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  assert.deepEqual(feed(e2, air, 'pm25', [80, 80, 10, 80, 80]), []);
});

test('values that are not trustworthy never fire', async () => {
  const { engine } = await engineWith([pm25()]);
  for (const q of ['maintenance', 'fault', 'calibration', 'implausible', 'spike', 'flatline', 'comm_error'] as const) {
    assert.deepEqual(engine.evaluate(air, [reading(1, { pm25: { v: 500, q } })], T0), [], q);
  }
  assert.equal(engine.evaluate(air, [reading(2, { pm25: { v: 500, q: 'manual' } })], T0)[0]?.to, 'red');
});

test('late readings (older than the last evaluated) are skipped', async () => {
  const { engine } = await engineWith([pm25()]);
  engine.evaluate(air, [reading(5, { pm25: 10 })], T0);
  assert.deepEqual(engine.evaluate(air, [reading(4, { pm25: 200 })], T0), []);
});

test('rate_of_change: rise within the window against the lowest sample', async () => {
  const res: Station = { ...air, id: 'res-1', domain: 'reservoir' };
  const { engine } = await engineWith([{ id: 'rise', name: 'rise', kind: 'rate_of_change', metric: 'water_level', windowSec: 3600, levels: { blue: 0.5, yellow: 1 } }]);
  // 100.0 … +0.2 per 10 min; readings every minute in feed → use explicit times
  const at = (min: number, v: number) => engine.evaluate(res, [{ ts: T0 + min * 60_000, values: { water_level: { v, q: 'ok' } } }], T0).map((t) => [t.to, Math.round(t.value * 100) / 100]);
  assert.deepEqual(at(0, 100), []);
  assert.deepEqual(at(30, 100.4), []);
  assert.deepEqual(at(50, 100.6), [['blue', 0.6]]);
  assert.deepEqual(at(59, 101.1), [['yellow', 1.1]]);
  assert.deepEqual(at(120, 101.2), [[null, 0]], 'the window moved on: old low samples dropped');
});

test('classification: AQI, water class, drought and reservoir levels map to warning levels', async () => {
  const water: Station = { ...air, id: 'w-1', domain: 'water', attributes: { waterBody: 'river' } };
  const soil: Station = { ...air, id: 's-1', domain: 'soil' };
  const reservoir: Station = { ...air, id: 'r-1', name: '白云水库', domain: 'reservoir', attributes: { floodLimitLevel: 100, designFloodLevel: 105, checkFloodLevel: 107 } };
  const { engine } = await engineWith(DEFAULT_RULES.filter((r) => r.kind === 'classification') as RuleInput[]);
  const one = (s: Station, values: Record<string, number>) => engine.evaluate(s, [reading(1, values)], T0);
  // PM2.5 160 → IAQI 210 → 五级 重度污染 → orange
  const [a] = one(air, { pm25: 160, pm10: 60 });
  assert.equal(a?.to, 'orange');
  assert.equal(a?.value, 210);
  assert.match(a!.condition, /AQI 210（五级 重度污染，首要污染物 PM2.5）/);
  // nh3n 1.8 (V) on a river → yellow
  assert.equal(one(water, { nh3n: 1.8, ph: 7.5 })[0]?.to, 'yellow');
  // R = 45 % → 中旱 → yellow
  assert.equal(one(soil, { moisture_rel: 45 })[0]?.to, 'yellow');
  const [r] = one(reservoir, { water_level: 105.5 });
  assert.equal(r?.to, 'orange');
  assert.match(r!.condition, /库水位 105.5 m，超设计洪水位/);
  // A reservoir without its characteristic levels is skipped, not an error.
  assert.deepEqual(one({ ...reservoir, id: 'r-2', attributes: {} }, { water_level: 200 }), []);
});

test('stale: fires after expectedInterval × factor of silence, resolves on the next reading', async () => {
  const { engine } = await engineWith([{ id: 'stale', name: 'stale', kind: 'stale', expectedIntervalSec: 60, factor: 3 }]);
  engine.evaluate(air, [reading(0, { pm25: 1 })], T0);
  assert.deepEqual(engine.checkStale([air], T0 + 179_000), []);
  const [t] = engine.checkStale([air], T0 + 181_000);
  assert.equal(t?.to, 'blue');
  assert.deepEqual(engine.checkStale([air], T0 + 300_000), [], 'fires once');
  assert.equal(engine.evaluate(air, [reading(6, { pm25: 1 })], T0 + 310_000)[0]?.to, null);
  // The station attribute wins over the rule's interval.
  const slow = { ...air, id: 'air-slow', attributes: { expectedIntervalSec: 3600 } };
  assert.deepEqual(engine.checkStale([slow], T0 + 181_000), []);
});

test('scope and replaces: a department override replaces the domain default for its stations', async () => {
  const rules = [toRule(pm25()), toRule(pm25({ id: 'pm25-tianhe', scope: { stations: ['air-1'] }, replaces: 'pm25', levels: { red: 50 } } as Partial<RuleInput>))];
  assert.deepEqual(rulesForStation(rules, air).map((r) => r.id), ['pm25-tianhe']);
  assert.deepEqual(rulesForStation(rules, { ...air, id: 'air-2' }).map((r) => r.id), ['pm25']);
  assert.deepEqual(rulesForStation([toRule(pm25({ scope: { domain: 'water' } } as Partial<RuleInput>))], air), []);
});

test('rule state survives a restart (durations, windows)', async () => {
  const { engine, store } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  feed(engine, air, 'pm25', [80, 80]);
  await engine.flush();
  const again = await RuleEngine.open(store, logger, T0);
  assert.equal(again.evaluate(air, [reading(2, { pm25: 80 })], T0)[0]?.to, 'yellow', 'the 2 minutes began before the restart');
});

test('a timer flush of many states goes in slices, each a transaction of its own, and saves every one of them', async () => {
  const { engine, store } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  const stations = Array.from({ length: FLUSH_SLICE_STATES * 2 + 5 }, (_, i) => ({ ...air, id: `air-${i}` }));
  for (const st of stations) feed(engine, st, 'pm25', [80, 80]);
  const saves: number[] = [];
  const save = store.saveStates.bind(store);
  store.saveStates = async (entries) => {
    const list = [...entries];
    saves.push(list.length);
    await save(list);
  };
  await engine.flush();
  assert.deepEqual(saves, [FLUSH_SLICE_STATES, FLUSH_SLICE_STATES, 5], 'three slices');
  const saved = await store.loadStates();
  assert.equal(saved.size, stations.length, 'every state saved');
  // Nothing left dirty: a second flush writes nothing.
  await engine.flush();
  assert.equal(saves.length, 3);
  // Saved states carry on after a restart: the third minute above fires (the 2 minutes began before it).
  const again = await RuleEngine.open(store, logger, T0);
  assert.equal(again.evaluate(stations.at(-1)!, [reading(2, { pm25: 80 })], T0)[0]?.to, 'yellow');
});

test('a slice of a timer flush that fails leaves its states and the later slices dirty for the next flush', async () => {
  const { engine, store } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  const stations = Array.from({ length: FLUSH_SLICE_STATES + 3 }, (_, i) => ({ ...air, id: `air-${i}` }));
  for (const st of stations) feed(engine, st, 'pm25', [80, 80]);
  const save = store.saveStates.bind(store);
  let fail = true;
  store.saveStates = async (entries) => {
    if (fail) throw new Error('store down');
    await save(entries);
  };
  await assert.rejects(engine.flush(), /store down/);
  fail = false;
  await engine.flush();
  assert.equal((await store.loadStates()).size, stations.length, 'every state saved by the next flush');
});

test('another node takes a station over from the store: a duration begun on the first carries on, its own unsaved changes stay', async () => {
  const { engine: first, store } = await engineWith([pm25({ levels: { yellow: 75 }, forSec: 120 } as Partial<RuleInput>)]);
  const second = await RuleEngine.open(store, logger, T0);
  feed(first, air, 'pm25', [80, 80]);
  await first.flush();
  await second.takeOverStation(air.id);
  assert.equal(second.evaluate(air, [reading(2, { pm25: 80 })], T0)[0]?.to, 'yellow', 'the 2 minutes began on the other node');
  // A stale copy in the store does not overwrite what this node changed and has not saved yet.
  await second.takeOverStation(air.id);
  assert.deepEqual(second.evaluate(air, [reading(3, { pm25: 80 })], T0), [], 'still yellow: no second transition');
});

test('two reads of the rules that overlap: the one begun later stays in force, and says when it began', async () => {
  const { store } = await engineWith([pm25()]);
  // The store as it is, but the first read of the rules (a timer's) answers late: after a rule was added and read again (an API change's).
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let slow = false;
  const slowFirst = new Proxy(store, {
    get(target, prop) {
      if (prop === 'all') {
        return async () => {
          const rules = await target.all();
          if (slow) {
            slow = false;
            await held;
          }
          return rules;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const engine = await RuleEngine.open(slowFirst, logger, T0);
  const opened = engine.rulesReadAtMs;
  slow = true;
  const timerRead = engine.reload();
  await new Promise((r) => setTimeout(r, 5));
  await store.save(toRule({ ...pm25(), id: 'pm10', metric: 'pm10' }), 'create', 'test');
  await engine.reload();
  const apiReadAt = engine.rulesReadAtMs;
  release();
  await timerRead;
  assert.deepEqual(engine.rules.map((r) => r.id).sort(), ['pm10', 'pm25'], 'the older read does not put back the rules before the change');
  assert.equal(engine.rulesReadAtMs, apiReadAt, 'the read in force');
  assert.ok(apiReadAt > opened);
});

test('every default rule validates; bad definitions are refused with the field named', async () => {
  for (const r of DEFAULT_RULES) assert.ok(RuleInputSchema.safeParse(r).success, String(r.id));
  const bad = RuleInputSchema.safeParse({ name: 'x', kind: 'threshold', metric: 'pm25', op: 'below', levels: { blue: 1, red: 5 } });
  assert.ok(!bad.success);
  assert.deepEqual(bad.error.issues[0]!.path, ['levels']);
});
