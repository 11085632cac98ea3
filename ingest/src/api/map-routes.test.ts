/** GET /api/v1/map.geojson through inject(): a GeoJSON feed of the stations in scope, filtered. */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
beforeAll(async () => {
  p = await injectPlatform();
  await p.call('POST', '/api/v1/stations', { id: 'mp-air-1', name: '天河空气站', domain: 'air', lat: 23.13, lon: 113.33, region: '440106', department: 'eco-env' });
  await p.call('POST', '/api/v1/stations', { id: 'mp-rsv-1', name: '从化水库', domain: 'reservoir', lat: 23.6, lon: 113.6, region: '440117', department: 'water' });
});
afterAll(async () => {
  await p?.stop();
});

test('GeoJSON with the content type of GeoJSON, narrowed by domain, region and bbox', async () => {
  const all = await p.call('GET', '/api/v1/map.geojson');
  expect(all.statusCode).toBe(200);
  expect(all.headers['content-type']).toMatch(/^application\/geo\+json/);
  expect(all.json().features.map((f: { id: string }) => f.id).sort()).toEqual(['mp-air-1', 'mp-rsv-1']);
  expect(all.json().features.find((f: { id: string }) => f.id === 'mp-air-1').geometry).toEqual({ type: 'Point', coordinates: [113.33, 23.13] });
  const ids = async (q: string) => (await p.call('GET', `/api/v1/map.geojson?${q}`)).json().features.map((f: { id: string }) => f.id);
  expect(await ids('domain=reservoir')).toEqual(['mp-rsv-1']);
  expect(await ids('region=440106')).toEqual(['mp-air-1']);
  expect(await ids('bbox=113.5,23.5,113.7,23.7')).toEqual(['mp-rsv-1']);
  const bad = await p.call('GET', '/api/v1/map.geojson?bbox=1,2,3');
  expect(bad.statusCode).toBe(400);
  expect(bad.json().error.field).toBe('bbox');
});
