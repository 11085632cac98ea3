/**
 * Flagged values back into InfluxDB. Ingest spools a reading before the rules see it, so a
 * value the data-quality step flags is already on its way with no `q_<metric>`. A correction
 * point — same measurement, tags and timestamp, the value again plus `q_<metric>` =
 * 'spike' | 'flatline' — follows it through the spool: InfluxDB merges the fields of points of
 * the same series and timestamp, so the stored point ends up flagged, and dashboards that
 * filter on q_ leave it out. (Flagging before the spool would put the checks, and their state,
 * on the durable hand-off the broker's PUBACK waits for.)
 */
import { readingToPoint } from '@shanshui/models';
import type { PointData, Reading, Station } from '@shanshui/models';
import type { FlaggedValue } from './rule-engine.ts';

export function qualityCorrectionPoints(station: Station, readings: readonly Reading[], flagged: readonly FlaggedValue[]): PointData[] {
  const points: PointData[] = [];
  for (const f of flagged) {
    const reading = readings.find((r) => r.ts === f.ts);
    const value = reading?.values[f.metric];
    if (!value) continue;
    points.push(readingToPoint(station, { ts: f.ts, values: { [f.metric]: { v: value.v, q: f.flag } } }));
  }
  return points;
}
