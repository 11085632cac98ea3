/**
 * InfluxQL fragments shared by the dashboards. Everything here must run on InfluxDB 1.6 (what
 * the tests run), 1.8, 2.x (v1 compatibility) and 3.x InfluxQL; the e2e test runs every query.
 */
import { AQI_BREAKPOINTS, IAQI_ANCHORS } from '@shanshui/models';
import type { AqiPollutant } from '@shanshui/models';

/**
 * How far back "current" alert state looks. The `alerts` measurement holds one point per state
 * change, so an alert fired 3 days ago and still open has its last point 3 days ago: panels
 * showing what is active now must not use the dashboard's time range.
 */
export const ALERT_LOOKBACK = '30d';

/**
 * Current state of each alert, deduplicated per (station, rule) as the rules engine does: the
 * last state change wins. The selector `last()` carries the other columns of the same point.
 * Never GROUP BY `level` or `state` outside this subquery: InfluxDB pushes outer GROUP BY tags
 * down into the subquery, which would resurrect superseded states (yellow after escalation).
 */
export function currentAlerts(filter: string): string {
  return `SELECT last("level_rank") AS "rank", "state", "level", "message", "value", "alert_id" FROM "alerts" WHERE time > now() - ${ALERT_LOOKBACK} AND ${filter} GROUP BY "station", "rule", "domain", "dept", "region"`;
}

/** Alerts whose current state is not resolved. */
export const ACTIVE = `"state" <> 'resolved'`;

/**
 * Latest registration of each active station (station_info), with position and name; `board`
 * adds a column of the station's domain under that name (the map's dashboard links are made from it).
 */
export function stationsQuery(filter: string, options: { board?: boolean } = {}): string {
  return `SELECT "lat", "lon", "name"${options.board ? ', "domain" AS "board"' : ''} FROM (SELECT last("lat") AS "lat", last("lon") AS "lon", last("name") AS "name", last("active") AS "active" FROM "station_info" WHERE ${filter} GROUP BY "station", "domain", "dept", "region") WHERE "active" = 1 GROUP BY "station", "domain", "dept", "region"`;
}

/**
 * The real-time breakpoint table of a pollutant, as used by models' realtimeAqiInputs: SO2 is
 * scored on the 1 h table up to 800 μg/m³ and on the 24 h table above (both give IAQI 200 at
 * 800, so the curve is continuous); PM on the 24 h tables; NO2, CO, O3 on the 1 h tables.
 */
function realtimeCurve(pollutant: 'pm25' | 'pm10' | 'so2' | 'no2' | 'co' | 'o3'): Array<[number, number]> {
  const table = (p: AqiPollutant): Array<[number, number]> => AQI_BREAKPOINTS[p].map((bp, i) => [bp, IAQI_ANCHORS[i]!]);
  switch (pollutant) {
    case 'pm25':
      return table('pm25_24h');
    case 'pm10':
      return table('pm10_24h');
    case 'so2': {
      const oneHour = table('so2_1h');
      const top = oneHour[oneHour.length - 1]![0];
      return [...oneHour, ...table('so2_24h').filter(([bp]) => bp > top)];
    }
    case 'no2':
      return table('no2_1h');
    case 'co':
      return table('co_1h');
    case 'o3':
      return table('o3_1h');
  }
}

const num = (n: number): string => String(Number(n.toFixed(6)));

/**
 * IAQI (HJ 633) of `expr` as pure InfluxQL arithmetic. InfluxQL has no CASE or min/max of two
 * values, but a piecewise-linear continuous curve is a sum of clamped ramps, and a clamp is
 * abs() arithmetic: clamp(y, 0, w) = (|y| − |y − w| + w) / 2. Segment i contributes
 * slope_i · clamp(C − BP_i, 0, BP_{i+1} − BP_i). Above the last breakpoint the sum stays at
 * 500, as models' iaqi() does. Rounded up (ceil) as HJ 633 practice; the e2e test checks the
 * result against models' iaqi() on real data.
 */
export function iaqiExpression(pollutant: 'pm25' | 'pm10' | 'so2' | 'no2' | 'co' | 'o3', expr: string): string {
  const curve = realtimeCurve(pollutant);
  const terms: string[] = [];
  for (let i = 0; i + 1 < curve.length; i++) {
    const [b0, a0] = curve[i]!;
    const [b1, a1] = curve[i + 1]!;
    // The slope stays a literal fraction: a rounded decimal would put 350 μg/m³ at IAQI 400.00004.
    terms.push(`${num(a1 - a0)} / ${num(2 * (b1 - b0))} * (abs(${expr} - ${num(b0)}) - abs(${expr} - ${num(b1)}) + ${num(b1 - b0)})`);
  }
  // Snap to 1e-6 before rounding up, as models' ceilIaqi does, so float noise (400.0000001)
  // does not push an exact breakpoint a whole point up.
  return `ceil(round((${terms.join(' + ')}) * 1000000) / 1000000)`;
}

/** The pollutants of the real-time AQI, with their Grafana column names. */
export const AQI_COLUMNS: ReadonlyArray<{ readonly metric: 'pm25' | 'pm10' | 'so2' | 'no2' | 'co' | 'o3'; readonly column: string }> = [
  { metric: 'pm25', column: 'IAQI PM2.5' },
  { metric: 'pm10', column: 'IAQI PM10' },
  { metric: 'o3', column: 'IAQI O3' },
  { metric: 'no2', column: 'IAQI NO2' },
  { metric: 'so2', column: 'IAQI SO2' },
  { metric: 'co', column: 'IAQI CO' },
];
