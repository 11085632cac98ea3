/**
 * Station profiles as data (docs/catalogue.md), against a real platform (aedes +
 * ingest + influxd): an admin adds a profile through the API — a custom sensor the catalogue
 * does not know — registers a station with it and publishes at once: the readings are stored,
 * nothing restarted; the profile is validated (same zod schema, its domain, its parent) and
 * audited; a station may not name a profile of another domain or lack its required attributes;
 * a pollution source's 折算 values are computed from its reference O2.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually, eventuallyEqual } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const odourProfile = {
  id: 'landfill-odour',
  name: '垃圾填埋场恶臭监测点',
  nameEn: 'Landfill odour monitoring point',
  domain: 'air',
  extends: 'air',
  metrics: ['nh3', 'h2s', 'temperature', 'humidity', 'wind_speed'],
  customMetrics: [
    { id: 'odour_concentration', name: '臭气浓度', nameEn: 'odour concentration', unit: '', precision: 0, min: 0, max: 100000, hj212: ['a99999'] },
    { id: 'methyl_mercaptan', name: '甲硫醇', nameEn: 'methyl mercaptan', unit: 'mg/m³', precision: 4, min: 0, max: 100 },
  ],
  attributes: [{ key: 'landfillId', name: '填埋场编号', required: true }],
};

test('a custom profile added through the API takes readings at once, nothing restarted; it is audited and listed', async () => {
  const put = await tp.api('PUT', '/api/v1/profiles/landfill-odour', odourProfile);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.profile.version, 1);
  assert.equal(put.body.profile.builtin, false);

  const cred = await tp.register({ id: 'odour-01', domain: 'air', profile: 'landfill-odour', attributes: { landfillId: 'GZ-LF-03' } });
  const client = await tp.connect(cred.username, cred.password);
  const ts = Date.now() - 2000;
  await client.publishAsync('shanshui/v1/odour-01/up/readings', JSON.stringify({ seq: 1, ts, values: { odour_concentration: 1320, methyl_mercaptan: 0.0042, h2s: 12, wind_speed: 1.5 } }), { qos: 1 });
  await eventuallyEqual(
    () => tp.query(`SELECT odour_concentration, methyl_mercaptan, h2s, wind_speed FROM air WHERE station = 'odour-01'`),
    [{ time: ts, odour_concentration: 1320, methyl_mercaptan: 0.0042, h2s: 12, wind_speed: 1.5 }],
    'the custom metrics in InfluxDB, every field',
  );

  // Metrics of the domain the profile does not select are not this station's: a dead letter naming them.
  await client.publishAsync('shanshui/v1/odour-01/up/readings', JSON.stringify({ seq: 2, ts: ts + 1000, values: { pm25: 30 } }), { qos: 1 });
  const dead = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/dead-letters?device=odour-01');
    return res.body.items.length > 0 ? res.body.items : undefined;
  }, 'a dead letter', 10_000);
  assert.match(dead[0].reason, /unknown metric\(s\) for the station profile: pm25/);

  // Extended again through the API: pm25 added — the same station takes it at once (version 2).
  const put2 = await tp.api('PUT', '/api/v1/profiles/landfill-odour', { ...odourProfile, metrics: [...odourProfile.metrics, 'pm25'] });
  assert.equal(put2.status, 200, JSON.stringify(put2.body));
  assert.equal(put2.body.profile.version, 2);
  await client.publishAsync('shanshui/v1/odour-01/up/readings', JSON.stringify({ seq: 3, ts: ts + 2000, values: { pm25: 31 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'odour-01'`)).length === 1, 'pm25 stored after the profile change', 10_000);

  const show = await tp.api('GET', '/api/v1/profiles/landfill-odour');
  assert.equal(show.status, 200);
  assert.ok(show.body.resolved.metrics.some((m: { id: string; unit: string }) => m.id === 'methyl_mercaptan' && m.unit === 'mg/m³'));
  const list = await tp.api('GET', '/api/v1/profiles');
  assert.ok(list.body.items.some((p: { id: string; builtin: boolean }) => p.id === 'flue-gas-cems' && p.builtin));
  assert.ok(list.body.items.some((p: { id: string; builtin: boolean }) => p.id === 'landfill-odour' && !p.builtin));
  const audit = await tp.api('GET', '/api/v1/audit?limit=100');
  assert.ok(
    (audit.body.items as Array<{ method: string; route: string; target: string | null }>).filter((e) => e.method === 'PUT' && e.route === '/api/v1/profiles/:id' && e.target === 'landfill-odour').length === 2,
    'both profile changes audited',
  );
});

test('bad profiles are refused naming the field: schema, unknown domain metric, built-in id, unknown parent, domain change', async () => {
  const cases: Array<[unknown, number, RegExp]> = [
    [{ ...odourProfile, id: 'bad-1', customMetrics: [{ id: 'x', name: 'x', nameEn: 'x', unit: '', precision: 0, min: 5, max: 1 }] }, 400, /customMetrics\.0\.min/],
    [{ ...odourProfile, id: 'bad-2', metrics: ['pm25', 'nonsense'] }, 400, /metrics\.1: nonsense is not a metric of domain air/],
    [{ ...odourProfile, id: 'bad-3', customMetrics: [{ ...odourProfile.customMetrics[0], id: 'pm25' }] }, 400, /customMetrics\.0\.id: pm25 is already a metric of domain air/],
    [{ ...odourProfile, id: 'flue-gas-cems', domain: 'pollution_source', extends: undefined, metrics: undefined, customMetrics: [] }, 409, /built in/],
    [{ ...odourProfile, id: 'bad-4', extends: 'no-such-profile' }, 400, /extends/],
    [{ ...odourProfile, id: 'bad-5', extends: 'noise' }, 400, /extends: profile noise is of domain noise/],
    [{ ...odourProfile, id: 'bad-6', customMetrics: [{ ...odourProfile.customMetrics[0], id: 'so2_cou' }] }, 400, /statistics suffix/],
  ];
  for (const [body, status, message] of cases) {
    const id = (body as { id: string }).id;
    const res = await tp.api('PUT', `/api/v1/profiles/${id}`, body);
    assert.equal(res.status, status, `${id}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, message, id);
  }
  await tp.api('PUT', '/api/v1/profiles/odour-2', { ...odourProfile, id: 'odour-2' });
  const moved = await tp.api('PUT', '/api/v1/profiles/odour-2', { ...odourProfile, id: 'odour-2', domain: 'water', extends: undefined, metrics: ['ph'] });
  assert.equal(moved.status, 400);
  assert.match(moved.body.error.message, /keeps its domain/);
  const viewer = await tp.api('POST', '/api/v1/tokens', { name: 'viewer-1', role: 'viewer', departments: '*' });
  const denied = await tp.api('PUT', '/api/v1/profiles/odour-3', { ...odourProfile, id: 'odour-3' }, viewer.body.token);
  assert.equal(denied.status, 403);
});

test('a station must fit its profile: same domain, required attributes present', async () => {
  const otherDomain = await tp.api('POST', '/api/v1/stations', { id: 'st-x', name: 'x', domain: 'water', lat: 23, lon: 113, region: '440100', department: 'eco-env', profile: 'flue-gas-cems' });
  assert.equal(otherDomain.status, 400);
  assert.match(otherDomain.body.error.message, /profile: flue-gas-cems is a profile of domain pollution_source/);
  const missing = await tp.api('POST', '/api/v1/stations', { id: 'st-y', name: 'y', domain: 'pollution_source', lat: 23, lon: 113, region: '440100', department: 'eco-env', profile: 'flue-gas-cems' });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /attributes: profile flue-gas-cems requires o2Reference/);
  const unknown = await tp.api('POST', '/api/v1/stations', { id: 'st-z', name: 'z', domain: 'air', lat: 23, lon: 113, region: '440100', department: 'eco-env', profile: 'nope' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /no profile nope/);
});

test('a stack CEMS sending measured concentrations gets 折算 values from its reference O2; a value the logger sent itself is kept', async () => {
  const cred = await tp.register({ id: 'stack-01', domain: 'pollution_source', profile: 'flue-gas-cems', attributes: { o2Reference: 6, limit_so2: 35 } });
  const client = await tp.connect(cred.username, cred.password);
  const ts = Date.now() - 3000;
  await client.publishAsync('shanshui/v1/stack-01/up/readings', JSON.stringify({ seq: 1, ts, values: { o2: 11, so2: 30, nox: 40, nox_zs: 61.5, so2_cou: 0.4 } }), { qos: 1 });
  const rows = await eventually(async () => {
    const r = await tp.query(`SELECT so2, so2_zs, nox, nox_zs, so2_cou, o2 FROM pollution_source WHERE station = 'stack-01'`);
    // InfluxDB 1.x stores each field apart: a query racing the write can see some fields of the point but not yet the others.
    return r.length > 0 && Object.values(r[0]!).every((v) => v !== null) ? r : undefined;
  }, 'the stack reading, every field', 10_000);
  // C折 = 30 × (21 − 6) / (21 − 11) = 45
  assert.deepEqual(rows[0], { time: ts, so2: 30, so2_zs: 45, nox: 40, nox_zs: 61.5, so2_cou: 0.4, o2: 11 });

  // Daily totals are queryable: the day's sum of the emission totals (kg), through the readings API.
  await client.publishAsync('shanshui/v1/stack-01/up/readings', JSON.stringify({ seq: 2, ts: ts + 1000, values: { o2: 11, so2: 31, so2_cou: 0.35 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT so2_cou FROM pollution_source WHERE station = 'stack-01'`)).length === 2, 'both totals stored', 10_000);
  const from = new Date(ts - 2 * 86_400_000).toISOString();
  const to = new Date(ts + 60_000).toISOString();
  const daily = await tp.api('GET', `/api/v1/stations/stack-01/readings?metric=so2_cou&window=1d&agg=sum&from=${from}&to=${to}`);
  assert.equal(daily.status, 200, JSON.stringify(daily.body));
  assert.deepEqual(daily.body.metrics, { so2_cou: { name: '二氧化硫排放量', unit: 'kg' } });
  assert.equal(daily.body.items.reduce((sum: number, i: { values: { so2_cou: number | null } }) => sum + (i.values.so2_cou ?? 0), 0).toFixed(2), '0.75');

  // The map feed and the latest values name the fields by the catalogue, 折算 and custom metrics too.
  const map = await tp.api('GET', '/api/v1/map.geojson');
  const stack = map.body.features.find((f: { id: string }) => f.id === 'stack-01');
  assert.equal(stack.properties.profile, 'flue-gas-cems');
  assert.deepEqual([stack.properties.values.so2_zs.name, stack.properties.values.so2_zs.unit], ['二氧化硫折算值', 'mg/m³']);
  const odour = map.body.features.find((f: { id: string }) => f.id === 'odour-01');
  assert.deepEqual([odour.properties.values.methyl_mercaptan.name, odour.properties.values.methyl_mercaptan.unit], ['甲硫醇', 'mg/m³']);
});
