/** The map feed for other GIS: GeoJSON of stations with latest values, warning level and open alerts. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

test('map.geojson: points with latest values and the current warning level; filters by department, domain, region, bbox, level', async () => {
  const air = await tp.register({ id: 'map-air-1', name: '天河空气站1号', domain: 'air', department: 'eco-env', region: '440106', lat: 23.125, lon: 113.361 });
  await tp.register({ id: 'map-rsv-1', name: '流溪河水库', domain: 'reservoir', department: 'water', region: '440117', lat: 23.76, lon: 113.78 });
  const client = await tp.connect(air.username, air.password);
  // PM2.5 200 μg/m³ → IAQI 250, 重度污染 → the default AQI rule's orange warning.
  await client.publishAsync('shanshui/v1/map-air-1/up/readings', JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: 200, temperature: 21.5 } }), { qos: 1 });

  const all = await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/map.geojson');
    const f = res.body.features?.find((x: { id: string }) => x.id === 'map-air-1');
    return f?.properties.warningLevel ? res : undefined;
  }, 'the air station coloured by its warning');
  assert.match(String(all.body.type), /FeatureCollection/);
  const f = all.body.features.find((x: { id: string }) => x.id === 'map-air-1');
  assert.deepEqual(f.geometry, { type: 'Point', coordinates: [113.361, 23.125] });
  assert.equal(f.properties.name, '天河空气站1号');
  assert.equal(f.properties.warningLevel, 'orange');
  assert.equal(f.properties.warningLabel, '橙色预警');
  assert.equal(f.properties.values.pm25.value, 200);
  assert.equal(f.properties.values.pm25.unit, 'μg/m³');
  assert.equal(f.properties.alerts.length, 1);
  assert.match(f.properties.alerts[0].message, /重度污染|AQI/);
  const rsv = all.body.features.find((x: { id: string }) => x.id === 'map-rsv-1');
  assert.equal(rsv.properties.warningLevel, null);
  assert.deepEqual(rsv.properties.values, {});

  const ids = async (q: string) => ((await tp.api('GET', `/api/v1/map.geojson?${q}`)).body.features as Array<{ id: string }>).map((x) => x.id).sort();
  assert.deepEqual(await ids('department=water'), ['map-rsv-1']);
  assert.deepEqual(await ids('domain=air,soil'), ['map-air-1']);
  assert.deepEqual(await ids('region=4401'), ['map-air-1', 'map-rsv-1']);
  assert.deepEqual(await ids('region=440117'), ['map-rsv-1']);
  assert.deepEqual(await ids('bbox=113.3,23.0,113.4,23.2'), ['map-air-1']);
  assert.deepEqual(await ids('minLevel=yellow'), ['map-air-1']);
  assert.deepEqual(await ids('minLevel=red'), []);

  const bad = await tp.api('GET', '/api/v1/map.geojson?bbox=200,0,1');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /bbox/);
  assert.equal((await tp.api('GET', '/api/v1/map.geojson?domain=volcano')).status, 400);
});
