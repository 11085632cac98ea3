/**
 * The map feed as GeoJSON (RFC 7946): one Point feature per station with its latest values,
 * current warning level (the highest of its open alerts) and the open alerts themselves — the
 * same picture as the Grafana 一张图, for a city's own GIS (SuperMap, ArcGIS, 天地图).
 */
import { DOMAIN_SPECS, WARNING_LEVEL_INFO, metricSpec, warningLevelRank } from '@shanshui/models';
import type { MetricSpec, Station, WarningLevel } from '@shanshui/models';
import type { Alert } from '../alerts/alert.ts';
import type { LatestValues } from './latest-values.ts';

export interface MapFilter {
  readonly departments?: readonly string[];
  readonly domains?: readonly string[];
  readonly regionPrefix?: string;
  /** [minLon, minLat, maxLon, maxLat] */
  readonly bbox?: readonly [number, number, number, number];
  readonly minLevel?: WarningLevel;
}

export interface StationFeature {
  readonly type: 'Feature';
  readonly id: string;
  readonly geometry: { readonly type: 'Point'; readonly coordinates: readonly [number, number] };
  readonly properties: Record<string, unknown>;
}

export function inFilter(station: Station, f: MapFilter): boolean {
  if (f.departments && !f.departments.includes(station.department)) return false;
  if (f.domains && !f.domains.includes(station.domain)) return false;
  if (f.regionPrefix && !station.region.startsWith(f.regionPrefix)) return false;
  if (f.bbox) {
    const [minLon, minLat, maxLon, maxLat] = f.bbox;
    if (station.lon < minLon || station.lon > maxLon || station.lat < minLat || station.lat > maxLat) return false;
  }
  return true;
}

/** A metric's spec for a station: its profile's when it has one (ProfileCatalogue.specOf), else its domain's catalogue entry. */
export type SpecOf = (station: Station, field: string) => MetricSpec | undefined;
const domainSpecOf: SpecOf = (station, field) => metricSpec(station.domain, field);

export function stationFeature(station: Station, latest: LatestValues, alerts: readonly Alert[], specOf: SpecOf = domainSpecOf): StationFeature {
  const level = alerts.reduce<WarningLevel | null>((max, a) => (max === null || warningLevelRank(a.level) > warningLevelRank(max) ? a.level : max), null);
  const values: Record<string, { value: number; unit: string; name: string; quality: string; time: string }> = {};
  let lastSeen = 0;
  for (const [metric, v] of latest.of(station.id) ?? []) {
    const spec = specOf(station, metric);
    values[metric] = { value: v.v, unit: spec?.unit ?? '', name: spec?.name ?? metric, quality: v.q, time: new Date(v.ts).toISOString() };
    lastSeen = Math.max(lastSeen, v.ts);
  }
  return {
    type: 'Feature',
    id: station.id,
    geometry: { type: 'Point', coordinates: [station.lon, station.lat] },
    properties: {
      id: station.id,
      name: station.name,
      domain: station.domain,
      domainName: DOMAIN_SPECS[station.domain].name,
      profile: station.profile ?? station.domain,
      department: station.department,
      region: station.region,
      warningLevel: level,
      warningLabel: level ? WARNING_LEVEL_INFO[level].label : '无预警',
      warningColor: level ? WARNING_LEVEL_INFO[level].hex : null,
      lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
      values,
      alerts: alerts.map((a) => ({ id: a.id, rule: a.ruleName, level: a.level, state: a.state, message: a.message, since: a.openedAt })),
    },
  };
}
