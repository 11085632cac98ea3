/**
 * GET /api/v1/map.geojson — stations with latest values, warning level and open alerts as a
 * GeoJSON FeatureCollection, filterable by department, domain, region (prefix), bounding box
 * and minimum warning level.
 */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, warningLevelRank } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import type { Alert } from '../alerts/alert.ts';
import type { LatestValues } from '../map/latest-values.ts';
import { inFilter, stationFeature } from '../map/station-features.ts';
import type { MapFilter, SpecOf } from '../map/station-features.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { scopeFilter } from './request-auth.ts';
import { MapFeatureCollectionSchema } from './response-schemas.ts';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

const Query = z
  .object({
  department: z.string().transform(list).optional(),
  domain: z
    .string()
    .transform(list)
    .pipe(z.array(z.enum(DOMAINS)))
    .optional(),
  region: z.string().regex(/^\d{2,12}$/, 'a GB/T 2260 code or prefix').optional(),
  bbox: z
    .string()
    .transform((v) => v.split(',').map(Number))
    .pipe(z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)]))
    .refine(([a, b, c, d]) => a <= c && b <= d, 'minLon,minLat,maxLon,maxLat with min ≤ max')
    .optional(),
  minLevel: z.enum(WARNING_LEVELS).optional(),
  })
  .strict();

const DESCRIPTION =
  'A feed, not a page: every station matching the filters is one feature (a GIS layer wants the whole picture). Narrow it with department, domain (comma-separated lists), region prefix, bbox=minLon,minLat,maxLon,maxLat and minLevel.';

export interface MapRouteOptions {
  readonly stations: () => readonly Station[];
  readonly openAlerts: () => Promise<readonly Alert[]>;
  readonly latest: LatestValues;
  /** Names and units of the values by the station's profile. Default: its domain's. */
  readonly specOf?: SpecOf;
}

export const mapRoutes: ApiPlugin<MapRouteOptions> = async (app, deps) => {
  app.get('/api/v1/map.geojson', {
    config: { permission: 'stations:read' },
    schema: {
      tags: ['map'],
      summary: 'Stations in scope with latest values, warning level and open alerts as GeoJSON (一张图)',
      description: DESCRIPTION,
      querystring: Query,
      response: { 200: { content: { 'application/geo+json': { schema: MapFeatureCollectionSchema } } } },
    },
  }, async (req, reply) => {
    const q = req.query;
    const scope = scopeFilter(req);
    const filter: MapFilter = {
      ...(q.department ? { departments: q.department } : {}),
      ...(q.domain ? { domains: q.domain } : {}),
      ...(q.region ? { regionPrefix: q.region } : {}),
      ...(q.bbox ? { bbox: q.bbox } : {}),
    };
    const byStation = new Map<string, Alert[]>();
    for (const a of await deps.openAlerts()) {
      const list = byStation.get(a.stationId);
      if (list) list.push(a);
      else byStation.set(a.stationId, [a]);
    }
    const minRank = q.minLevel ? warningLevelRank(q.minLevel) : 0;
    const features = [];
    for (const station of deps.stations()) {
      if (!inFilter(station, filter) || (scope && !scope.includes(station.department))) continue;
      const alerts = byStation.get(station.id) ?? [];
      if (minRank > 0 && !alerts.some((a) => warningLevelRank(a.level) >= minRank)) continue;
      features.push(stationFeature(station, deps.latest, alerts, deps.specOf));
    }
    return reply.type('application/geo+json; charset=utf-8').send({ type: 'FeatureCollection', generatedAt: new Date().toISOString(), features } as z.output<typeof MapFeatureCollectionSchema>);
  });
};
