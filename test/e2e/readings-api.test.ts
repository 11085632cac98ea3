/**
 * The readings API against a real influxd: readings published by a real MQTT device,
 * read back raw (with quality flags, paged), per window with every aggregate, and as latest
 * values; department scope; limits and refusals with their reasons.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

const HOUR = 3_600_000;
let tp: TestPlatform;
/** Start of the hour six hours ago: three whole hours of readings after it. */
const base = Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();
const readings = [
  { ts: base, values: { pm25: 10, pm10: 15 } },
  { ts: base + 10 * 60_000, values: { pm25: 20 } },
  { ts: base + 20 * 60_000, values: { pm25: 30, pm10: 45 } },
  { ts: base + HOUR, values: { pm25: { v: 40, q: 'M' } } }, // HJ 212 M: maintenance (维护)
  { ts: base + HOUR + 30 * 60_000, values: { pm25: 60 } },
  { ts: base + 2 * HOUR + 5 * 60_000, values: { pm25: 2500 } }, // beyond 2000 μg/m³: stored, flagged implausible
];
const range = `from=${iso(base)}&to=${iso(base + 3 * HOUR)}`;

beforeAll(async () => {
  tp = await startTestPlatform({ defaultRules: false });
  const cred = await tp.register({ id: 'rd-air-1', name: '越秀空气站', domain: 'air', department: 'eco-env', region: '440104' });
  await tp.register({ id: 'rd-rsv-1', name: '白云水库', domain: 'reservoir', department: 'water', region: '440111' });
  const client = await tp.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/rd-air-1/up/readings', JSON.stringify({ seq: 1, readings }), { qos: 1 });
  await eventually(async () => (await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&${range}`)).body?.items?.length === 6, 'six readings in InfluxDB');
});
afterAll(async () => {
  await tp?.close();
});

test('raw readings: values with their quality flags, oldest first, paged by the cursor in next', async () => {
  const res = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25,pm10&${range}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.mode, 'raw');
  assert.deepEqual(res.body.metrics, { pm25: { name: 'PM2.5', unit: 'μg/m³' }, pm10: { name: 'PM10', unit: 'μg/m³' } });
  assert.deepEqual(
    res.body.items.map((r: any) => [r.time, r.values.pm25, r.values.pm10]),
    [
      [iso(base), { v: 10, q: 'ok' }, { v: 15, q: 'ok' }],
      [iso(base + 600_000), { v: 20, q: 'ok' }, null],
      [iso(base + 1_200_000), { v: 30, q: 'ok' }, { v: 45, q: 'ok' }],
      [iso(base + HOUR), { v: 40, q: 'maintenance' }, null],
      [iso(base + HOUR + 1_800_000), { v: 60, q: 'ok' }, null],
      [iso(base + 2 * HOUR + 300_000), { v: 2500, q: 'implausible' }, null],
    ],
  );
  assert.equal(res.body.next, null);

  const page1 = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&${range}&limit=4`);
  assert.deepEqual(page1.body.items.map((r: any) => r.values.pm25.v), [10, 20, 30, 40]);
  assert.equal(typeof page1.body.next, 'string');
  const page2 = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&${range}&limit=4&cursor=${page1.body.next}`);
  assert.deepEqual(page2.body.items.map((r: any) => r.values.pm25.v), [60, 2500]);
  assert.equal(page2.body.next, null);
});

test('windows: mean, min, max, last and count per hour; day windows are Beijing days', async () => {
  const per = async (agg: string): Promise<unknown[]> => {
    const res = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&${range}&window=1h&agg=${agg}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.mode, 'window');
    assert.deepEqual(res.body.items.map((r: any) => r.time), [iso(base), iso(base + HOUR), iso(base + 2 * HOUR)]);
    return res.body.items.map((r: any) => r.values.pm25);
  };
  assert.deepEqual(await per('mean'), [20, 50, 2500]);
  assert.deepEqual(await per('min'), [10, 40, 2500]);
  assert.deepEqual(await per('max'), [30, 60, 2500]);
  assert.deepEqual(await per('last'), [30, 60, 2500]);
  assert.deepEqual(await per('count'), [3, 2, 1]);
  const dflt = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&${range}&window=1h`);
  assert.equal(dflt.body.agg, 'mean');

  const days = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&from=${iso(base - 2 * 86_400_000)}&to=${iso(base + 3 * HOUR)}&window=1d&agg=count`);
  assert.equal(days.status, 200);
  assert.equal(days.body.items.reduce((n: number, r: any) => n + r.values.pm25, 0), 6);
  for (const r of days.body.items) assert.equal((Date.parse(r.time) + 8 * HOUR) % 86_400_000, 0, `${r.time} starts a Beijing day`);
});

test('latest values per station and as a filtered list, with units and quality labels', async () => {
  const one = await tp.api('GET', '/api/v1/stations/rd-air-1/readings/latest');
  assert.equal(one.status, 200);
  assert.equal(one.body.domain, 'air');
  assert.deepEqual(one.body.values.pm25, { value: 2500, unit: 'μg/m³', name: 'PM2.5', quality: 'implausible', qualityLabel: '超出合理范围', time: iso(base + 2 * HOUR + 300_000) });
  assert.equal(one.body.values.pm10.value, 45);
  assert.equal(one.body.lastSeen, iso(base + 2 * HOUR + 300_000));

  const ids = async (q: string): Promise<string[]> => (await tp.api('GET', `/api/v1/readings/latest?${q}`)).body.items.map((s: any) => s.stationId);
  assert.deepEqual(await ids(''), ['rd-air-1', 'rd-rsv-1']);
  assert.deepEqual(await ids('department=water'), ['rd-rsv-1']);
  assert.deepEqual(await ids('domain=air'), ['rd-air-1']);
  assert.deepEqual(await ids('region=440111'), ['rd-rsv-1']);
  const first = await tp.api('GET', '/api/v1/readings/latest?limit=1');
  assert.deepEqual(await ids(`limit=1&cursor=${first.body.next}`), ['rd-rsv-1']);
  const page = await tp.api('GET', '/api/v1/readings/latest?limit=1');
  assert.equal(page.body.total, 2);
  assert.deepEqual(page.body.items[0].values.pm25.value, 2500);
});

test('department scope: another department sees neither the station nor its readings', async () => {
  const water = (await tp.api('POST', '/api/v1/tokens', { name: 'water viewer', role: 'viewer', departments: ['water'] })).body.token as string;
  for (const path of [`/api/v1/stations/rd-air-1/readings?metric=pm25&${range}`, '/api/v1/stations/rd-air-1/readings/latest']) {
    const res = await tp.api('GET', path, undefined, water);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.error.code, 'API_ERR_NOT_FOUND');
  }
  const listed = await tp.api('GET', '/api/v1/readings/latest', undefined, water);
  assert.deepEqual(listed.body.items.map((s: any) => s.stationId), ['rd-rsv-1']);
  assert.equal((await tp.api('GET', `/api/v1/stations/rd-rsv-1/readings?metric=water_level&${range}`, undefined, water)).status, 200);
});

test('refusals name the reason: unknown metric, injection, agg without window, too large a range, bad bounds', async () => {
  const refused = async (q: string, code: string, reason: RegExp): Promise<void> => {
    const res = await tp.api('GET', `/api/v1/stations/rd-air-1/readings?${q}`);
    assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, q);
    assert.match(res.body.error.message, reason, q);
  };
  await refused(`metric=water_level&${range}`, 'API_ERR_VALIDATION', /water_level is not a metric of air stations/);
  await refused(`metric=${encodeURIComponent('pm25" FROM "water')}&${range}`, 'API_ERR_VALIDATION', /metric/);
  await refused(`metric=${encodeURIComponent("pm25' OR 1=1")}&${range}`, 'API_ERR_VALIDATION', /metric/);
  await refused(`metric=pm25&${range}&agg=max`, 'API_ERR_VALIDATION', /agg: needs a window/);
  await refused(`metric=pm25&${range}&window=2h`, 'API_ERR_VALIDATION', /window/);
  await refused(`metric=pm25&from=${iso(base)}&to=${iso(base - HOUR)}`, 'API_ERR_VALIDATION', /from: must be before to/);
  await refused(`metric=pm25&from=yesterday`, 'API_ERR_VALIDATION', /from/);
  // Outside the times InfluxDB can hold: a 400 naming the field, not "InfluxDB did not answer" (503).
  await refused('metric=pm25&from=1000-01-01T00:00:00Z&to=1000-01-20T00:00:00Z', 'API_ERR_VALIDATION', /from: .*1677-09-22/);
  await refused('metric=pm25&from=2300-01-01T00:00:00Z&to=2300-01-20T00:00:00Z', 'API_ERR_VALIDATION', /from: .*2262-04-11/);
  await refused(`metric=pm25&${range}&cursor=${encodeURIComponent(Buffer.from(JSON.stringify({ l: 'readings', p: 9e15 })).toString('base64url'))}`, 'API_ERR_VALIDATION', /cursor/);
  await refused(`metric=pm25&${range}&limit=20000`, 'API_ERR_VALIDATION', /limit/);
  await refused('metric=a,b,c,d,e,f,g,h,i', 'API_ERR_VALIDATION', /metric/);
  await refused(`metric=pm25&from=${iso(base - 40 * 86_400_000)}&to=${iso(base)}`, 'API_ERR_RANGE_TOO_LARGE', /at most 31 days of raw rows/);
  await refused(`metric=pm25&from=${iso(base - 30 * 86_400_000)}&to=${iso(base)}&window=1m`, 'API_ERR_RANGE_TOO_LARGE', /43200 windows of 1m asked; at most 10000/);
  assert.equal((await tp.api('GET', `/api/v1/stations/rd-air-1/readings?metric=pm25&from=${iso(base - 30 * 86_400_000)}&to=${iso(base)}&window=1h`)).status, 200);
  assert.equal((await tp.api('GET', `/api/v1/stations/nowhere/readings?metric=pm25`)).status, 404);
  assert.equal((await tp.api('GET', `/api/v1/stations/rd-air-1/readings`)).status, 400, 'metric is required');
});

test('a deleted station id registered again by another department shows none of the old data, and its open commands end', async () => {
  const old = await tp.register({ id: 'rd-reuse', name: '旧水库站', domain: 'reservoir', department: 'water', region: '440111' });
  const gate = { version: 1, sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=1;s=Level', metric: 'water_level' }], commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate', dataType: 'Boolean' } }] }] };
  assert.equal((await tp.api('PUT', '/api/v1/stations/rd-reuse/config', gate)).status, 200);
  const client = await tp.connect(old.username, old.password);
  await client.publishAsync('shanshui/v1/rd-reuse/up/readings', JSON.stringify({ seq: 1, readings: [{ ts: base, values: { water_level: 42.5 } }] }), { qos: 1 });
  await eventually(async () => (await tp.api('GET', `/api/v1/stations/rd-reuse/readings?metric=water_level&${range}`)).body?.items?.length === 1, 'the old reading stored');
  assert.equal((await tp.api('GET', '/api/v1/stations/rd-reuse/readings/latest')).body.values.water_level.value, 42.5);
  await client.endAsync();
  const cmd = await tp.api('POST', '/api/v1/stations/rd-reuse/commands', { name: 'open_gate', args: { value: true }, ttlSec: 3600 });
  assert.equal(cmd.status, 202, JSON.stringify(cmd.body));
  assert.equal((await tp.api('DELETE', '/api/v1/stations/rd-reuse')).status, 204);
  const ended = (await tp.api('GET', `/api/v1/commands/${cmd.body.command.id}`)).body.command;
  assert.equal(ended.state, 'expired');
  assert.equal(ended.error, 'station deleted');

  await tp.register({ id: 'rd-reuse', name: '新水库站', domain: 'reservoir', department: 'forestry', region: '440112' });
  const raw = await tp.api('GET', `/api/v1/stations/rd-reuse/readings?metric=water_level&${range}`);
  assert.equal(raw.status, 200, JSON.stringify(raw.body));
  assert.deepEqual(raw.body.items, [], 'the old department’s readings are not the new station’s');
  const windows = await tp.api('GET', `/api/v1/stations/rd-reuse/readings?metric=water_level&${range}&window=1h&agg=max`);
  assert.equal(windows.status, 200, JSON.stringify(windows.body));
  assert.deepEqual(windows.body.items, []);
  assert.deepEqual((await tp.api('GET', '/api/v1/stations/rd-reuse/readings/latest')).body.values, {});
  assert.deepEqual((await tp.api('GET', '/api/v1/stations/rd-reuse/commands')).body.items, []);
});
