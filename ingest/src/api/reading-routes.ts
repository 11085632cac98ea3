/**
 * Readings, department-scoped like stations:
 *   GET /api/v1/stations/{id}/readings/latest  → the latest value of every metric (in memory, as the map feed)
 *   GET /api/v1/readings/latest                → the same for a page of stations, filtered by department/domain/region
 *   GET /api/v1/stations/{id}/readings?metric=pm25,pm10&from=&to=[&window=1m|5m|1h|1d&agg=mean|min|max|last|count][&limit=][&cursor=]
 *       → raw rows with quality flags (paged by `cursor` = the answer's `next`), or one aggregate per window from InfluxDB.
 * Limits: at most 8 metrics; a raw range of at most 31 days and 10 000 rows a page; at most
 * 10 000 windows — beyond them 400 API_ERR_RANGE_TOO_LARGE with the reason.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DOMAINS, DOMAIN_SPECS, QUALITIES, QUALITY_LABEL, metricSpec } from '@shanshui/models';
import type { MetricSpec, Station } from '@shanshui/models';
import type { LatestValues } from '../map/latest-values.ts';
import type { StationFilter } from '../state/station-store.ts';
import { READING_AGGREGATES, READING_WINDOWS, READING_WINDOW_NAMES, queryRaw, queryWindows } from '../store/readings-query.ts';
import type { InfluxQuerier, RangeRequest } from '../store/readings-query.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { inScope, scopeFilter } from './request-auth.ts';
import { StationLatestSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { NextSchema, cursorParam, nextCursor, offsetPaging } from './paging.ts';

/** Most metrics one range query may ask for. */
export const MAX_METRICS_PER_QUERY = 8;
/** Longest range of raw rows, ms (31 days). */
export const MAX_RAW_RANGE_MS = 31 * 86_400_000;
/** Most windows one aggregated query may span. */
export const MAX_WINDOWS = 10_000;
/**
 * The times InfluxDB can hold (int64 nanoseconds since 1970: 1677-09-21 … 2262-04-11), a day inside
 * each end. A query outside them fails inside InfluxDB, which answered "InfluxDB did not answer"
 * (503); it is the caller's to hear about, naming the field.
 */
const INFLUX_MIN_MS = Date.parse('1677-09-22T00:00:00Z');
const INFLUX_MAX_MS = Date.parse('2262-04-11T00:00:00Z');
const StorableTime = z.iso.datetime({ offset: true }).refine((s) => {
  const ms = Date.parse(s);
  return ms >= INFLUX_MIN_MS && ms <= INFLUX_MAX_MS;
}, 'a time from 1677-09-22 to 2262-04-11 (what InfluxDB can hold)');

/** Range when `from` is not given: the last 24 hours before `to`. */
export const DEFAULT_RANGE_MS = 86_400_000;

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const IsoTime = z.string().describe('ISO 8601 time (UTC)');

const READINGS_LIST = 'readings';
const LATEST_LIST = 'readings-latest';
const RangeQuery = z
  .object({
    /** One metric or a comma-separated list, each a metric of the station's domain (pm25, water_level, …). */
    metric: z
      .string()
      .max(600)
      .transform(list)
      .pipe(z.array(z.string().regex(/^[a-z0-9_]{1,64}$/, 'a metric name such as pm25')).min(1).max(MAX_METRICS_PER_QUERY))
      .describe(`metric name, or up to ${MAX_METRICS_PER_QUERY} comma-separated`),
    from: StorableTime.optional().describe('inclusive; default `to` − 24 h'),
    to: StorableTime.optional().describe('exclusive; default now'),
    window: z.enum(READING_WINDOW_NAMES).optional().describe('aggregate per window (1d = a Beijing calendar day); raw rows when absent'),
    agg: z.enum(READING_AGGREGATES).optional().describe('aggregate of each window; default mean; needs `window`'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('raw rows per page (next page: `cursor` = the answer\'s `next`, with the same from, to and metric)'),
    /** Raw rows after the last of the previous page (its time, ms). */
    cursor: cursorParam(READINGS_LIST, z.number().int().min(INFLUX_MIN_MS).max(INFLUX_MAX_MS)),
  })
  .strict();
const LatestListQuery = z
  .object({
    department: z.string().max(32).optional(),
    domain: z.enum(DOMAINS).optional(),
    /** GB/T 2260 region code prefix. */
    region: z.string().regex(/^\d{2,12}$/, '2–12 digit region code prefix').optional(),
    ...offsetPaging(LATEST_LIST),
  })
  .strict();

const StationRef = z.object({ id: z.string(), name: z.string(), domain: z.enum(DOMAINS), department: z.string(), region: z.string() }).strict();
const MetricInfo = z.record(z.string(), z.object({ name: z.string(), unit: z.string() }).strict());
const rangeCommon = { station: StationRef, metrics: MetricInfo, from: IsoTime, to: IsoTime };
export const ReadingRangeSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('raw'),
      ...rangeCommon,
      items: z.array(z.object({ time: IsoTime, values: z.record(z.string(), z.object({ v: z.number(), q: z.enum(QUALITIES) }).strict().nullable()) }).strict()),
      next: NextSchema,
    })
    .strict(),
  z
    .object({
      mode: z.literal('window'),
      ...rangeCommon,
      window: z.enum(READING_WINDOW_NAMES),
      agg: z.enum(READING_AGGREGATES),
      items: z.array(z.object({ time: IsoTime.describe('window start'), values: z.record(z.string(), z.number().nullable()) }).strict()),
    })
    .strict(),
]);

const NOT_FOUND = { 404: 'No such station in scope (API_ERR_NOT_FOUND)' };
const RANGE_DESCRIPTION =
  `Raw rows (no window): oldest first, at most \`limit\` a page (next page: \`cursor\` = the answer's \`next\`, with the same metric, from and to), a range of at most 31 days; quality flags (q) come with every value. ` +
  `With window=1m|5m|1h|1d and agg=mean|min|max|last|count: one row per window holding data, at most ${MAX_WINDOWS} windows. ` +
  'Aggregates cover every stored value whatever its quality flag. Metrics must be metrics of the station’s domain.';

export interface ReadingRouteOptions {
  readonly station: (id: string) => Station | undefined;
  readonly listStations: (filter: StationFilter) => Promise<{ items: Station[]; total: number }>;
  readonly latest: LatestValues;
  readonly influx: InfluxQuerier;
  readonly now?: () => number;
  /** A station's field spec by its profile (custom metrics too). Default: its domain's catalogue entry. */
  readonly specOf?: (station: Station, field: string) => MetricSpec | undefined;
}

function latestOf(station: Station, latest: LatestValues, specOf: (station: Station, field: string) => MetricSpec | undefined): z.output<typeof StationLatestSchema> {
  const values: z.output<typeof StationLatestSchema>['values'] = {};
  let lastSeen = 0;
  for (const [metric, v] of latest.of(station.id) ?? []) {
    const spec = specOf(station, metric);
    values[metric] = { value: v.v, unit: spec?.unit ?? '', name: spec?.name ?? metric, quality: v.q, qualityLabel: QUALITY_LABEL[v.q], time: new Date(v.ts).toISOString() };
    lastSeen = Math.max(lastSeen, v.ts);
  }
  return { stationId: station.id, name: station.name, domain: station.domain, department: station.department, region: station.region, lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null, values };
}

const tooLarge = (why: string): HttpError => new HttpError('API_ERR_RANGE_TOO_LARGE', why);

export const readingRoutes: ApiPlugin<ReadingRouteOptions> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  const specOf = deps.specOf ?? ((station: Station, field: string) => metricSpec(station.domain, field));
  const scopedStation = (req: FastifyRequest, id: string): Station => {
    const station = deps.station(id);
    if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
    return station;
  };

  app.get('/api/v1/stations/:id/readings/latest', {
    config: { permission: 'stations:read', errors: NOT_FOUND },
    schema: { tags: ['readings'], summary: 'The latest value of every metric of a station, with unit, quality flag and time', params: IdParams, response: { 200: StationLatestSchema } },
  }, async (req) => {
    const { id } = req.params;
    return latestOf(scopedStation(req, id), deps.latest, specOf);
  });

  app.get('/api/v1/readings/latest', {
    config: { permission: 'stations:read' },
    schema: {
      tags: ['readings'],
      summary: 'Latest values of a page of stations in scope, filtered by department, domain and region prefix, ordered by station id',
      querystring: LatestListQuery,
      response: { 200: z.object({ items: z.array(StationLatestSchema), total: z.number().int(), next: NextSchema }).strict() },
    },
  }, async (req) => {
    const { cursor, ...filter } = req.query;
    const departments = scopeFilter(req);
    const offset = cursor ?? 0;
    const page = await deps.listStations({ ...filter, offset, ...(departments ? { departments } : {}) });
    const end = offset + page.items.length;
    return { items: page.items.map((s) => latestOf(s, deps.latest, specOf)), total: page.total, next: end < page.total ? nextCursor(LATEST_LIST, end) : null };
  });

  app.get('/api/v1/stations/:id/readings', {
    config: { permission: 'stations:read', errors: { ...NOT_FOUND, 503: 'InfluxDB is not reachable (API_ERR_INFLUX_UNAVAILABLE)' } },
    schema: {
      tags: ['readings'],
      summary: "A station's readings over a time range: raw rows with quality flags, or one aggregate per window",
      description: RANGE_DESCRIPTION,
      params: IdParams,
      querystring: RangeQuery,
      response: { 200: ReadingRangeSchema },
    },
  }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const station = scopedStation(req, id);

    const unknown = q.metric.filter((m) => !specOf(station, m));
    if (unknown.length > 0) {
      const known = Object.keys(DOMAIN_SPECS[station.domain].metrics).join(', ');
      throw new HttpError('API_ERR_VALIDATION', `invalid query: metric: ${unknown.join(', ')} is not a metric of ${station.domain} stations (${DOMAIN_SPECS[station.domain].name}: ${known})`, { field: 'metric' });
    }
    if (q.agg && !q.window) throw new HttpError('API_ERR_VALIDATION', 'invalid query: agg: needs a window (1m, 5m, 1h or 1d); without one the raw rows are returned', { field: 'agg' });
    const toMs = q.to ? Date.parse(q.to) : now();
    const fromMs = q.from ? Date.parse(q.from) : Math.max(toMs - DEFAULT_RANGE_MS, INFLUX_MIN_MS);
    if (fromMs >= toMs) throw new HttpError('API_ERR_VALIDATION', 'invalid query: from: must be before to', { field: 'from' });
    const rangeMs = toMs - fromMs;
    if (!q.window && rangeMs > MAX_RAW_RANGE_MS) {
      throw tooLarge(`raw readings over ${Math.ceil(rangeMs / 86_400_000)} days asked; at most 31 days of raw rows — shorten the range or aggregate with window=1h or 1d`);
    }
    if (q.window && Math.ceil(rangeMs / READING_WINDOWS[q.window]) > MAX_WINDOWS) {
      throw tooLarge(`${Math.ceil(rangeMs / READING_WINDOWS[q.window])} windows of ${q.window} asked; at most ${MAX_WINDOWS} — use a wider window or a shorter range`);
    }

    // The next page of raw rows starts after the last row of the previous one (inside the same range).
    const startMs = !q.window && q.cursor !== undefined ? Math.max(fromMs, q.cursor + 1) : fromMs;
    const request: RangeRequest = { stationId: station.id, department: station.department, domain: station.domain, metrics: q.metric, fromMs: startMs, toMs, limit: q.limit, ...(q.window ? { window: q.window, agg: q.agg ?? 'mean' } : {}) };
    const head = {
      station: { id: station.id, name: station.name, domain: station.domain, department: station.department, region: station.region },
      metrics: Object.fromEntries(q.metric.map((m) => [m, { name: specOf(station, m)!.name, unit: specOf(station, m)!.unit }])),
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
    };
    try {
      if (q.window) {
        const rows = await queryWindows(deps.influx, { ...request, window: q.window });
        return { mode: 'window' as const, ...head, window: q.window, agg: q.agg ?? 'mean', items: rows.map((r) => ({ time: new Date(r.ts).toISOString(), values: r.values })) };
      }
      const { rows, more } = await queryRaw(deps.influx, request);
      const last = rows.at(-1);
      return { mode: 'raw' as const, ...head, items: rows.map((r) => ({ time: new Date(r.ts).toISOString(), values: r.values })), next: more && last ? nextCursor(READINGS_LIST, last.ts) : null };
    } catch (err) {
      req.log.warn({ err, stationId: id }, 'readings query failed');
      throw new HttpError('API_ERR_INFLUX_UNAVAILABLE', 'InfluxDB did not answer the readings query; try again shortly');
    }
  });
};
