/**
 * How readings become InfluxDB points. One measurement per domain (`air`, `water`, …), tagged
 * `station`, `domain`, `region`, `dept`; one numeric field per metric and, beside it, always a
 * string field `q_{metric}` with its quality (`ok` for normal data). Always, because points are
 * idempotent by (series, device timestamp): a redelivered or corrected reading rewrites the same
 * point, and InfluxDB merges fields, so a flag left out would keep the old reading's flag.
 */
import type { Reading } from './envelope.ts';
import type { Station } from './station.ts';

export interface PointData {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | string>>;
  /** Epoch milliseconds. */
  readonly ts: number;
}

export type StationTags = Pick<Station, 'id' | 'domain' | 'region' | 'department'>;

export function readingToPoint(station: StationTags, reading: Reading): PointData {
  const fields: Record<string, number | string> = {};
  for (const [metric, value] of Object.entries(reading.values)) {
    fields[metric] = value.v;
    fields[`q_${metric}`] = value.q;
  }
  return {
    measurement: station.domain,
    tags: { station: station.id, domain: station.domain, region: station.region, dept: station.department },
    fields,
    ts: reading.ts,
  };
}

/**
 * Station metadata as a point of `station_info`, so Grafana's Geomap and InfluxQL see every
 * station's name and position: `SELECT last(lat), last(lon), last(name) FROM station_info GROUP BY station`.
 * `active` is 0 once the station is deleted.
 */
export function stationInfoPoint(station: Pick<Station, 'id' | 'name' | 'domain' | 'region' | 'department' | 'lat' | 'lon'>, active: boolean, ts: number): PointData {
  return {
    measurement: 'station_info',
    tags: { station: station.id, domain: station.domain, region: station.region, dept: station.department },
    fields: { name: station.name, lat: station.lat, lon: station.lon, active: active ? 1 : 0 },
    ts,
  };
}
