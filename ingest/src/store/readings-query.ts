/**
 * Readings of one station back out of InfluxDB: raw rows with their quality flags, or windows
 * (`GROUP BY time(…)`) with one aggregate. Nothing user-supplied reaches InfluxQL unchecked: the
 * measurement is the station's domain, metrics must be metrics of that domain (checked by the
 * caller against @shanshui/models, and quoted here anyway), the station id is a quoted string
 * literal, times are integers we computed.
 */
import type { Domain, Quality } from '@shanshui/models';
import { QUALITIES } from '@shanshui/models';
import type { InfluxSeries } from './influx-http.ts';

/** Aggregation windows offered, with their length in ms. */
export const READING_WINDOWS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type ReadingWindow = keyof typeof READING_WINDOWS;
export const READING_WINDOW_NAMES = Object.keys(READING_WINDOWS) as [ReadingWindow, ...ReadingWindow[]];

/** `sum` serves totals: a pollution source's daily emission from hourly `<metric>_cou` (docs/standards/pollution-source.md), a day's rainfall. */
export const READING_AGGREGATES = ['mean', 'min', 'max', 'last', 'count', 'sum'] as const;
export type ReadingAggregate = (typeof READING_AGGREGATES)[number];

/**
 * Day windows are calendar days in China (UTC+8): InfluxDB aligns windows to the epoch, so a
 * `1d` window is shifted by −8 h to start at 00:00 Beijing time. Shorter windows divide 8 h.
 */
export const DAY_WINDOW_OFFSET = '-8h';

export interface RangeRequest {
  readonly stationId: string;
  /** The station's department: a station id deleted and registered again by another department does not show the old one's data. */
  readonly department: string;
  readonly domain: Domain;
  readonly metrics: readonly string[];
  /** Inclusive, epoch ms. */
  readonly fromMs: number;
  /** Exclusive, epoch ms. */
  readonly toMs: number;
  /** Raw rows when absent. */
  readonly window?: ReadingWindow;
  readonly agg?: ReadingAggregate;
  /** Most rows returned (raw) — one more is asked for, to tell whether more remain. */
  readonly limit: number;
}

export interface RawRow {
  readonly ts: number;
  readonly values: Record<string, { v: number; q: Quality } | null>;
}

export interface WindowRow {
  readonly ts: number;
  readonly values: Record<string, number | null>;
}

export interface InfluxQuerier {
  query(q: string): Promise<InfluxSeries[]>;
}

/** `"name"` with `"` and `\` escaped (InfluxQL identifier). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `'text'` with `'` and `\` escaped (InfluxQL string literal). */
export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function where(r: RangeRequest): string {
  if (!Number.isSafeInteger(r.fromMs) || !Number.isSafeInteger(r.toMs)) throw new Error('range bounds must be integer epoch ms');
  return `WHERE "station" = ${quoteString(r.stationId)} AND "dept" = ${quoteString(r.department)} AND time >= ${r.fromMs}ms AND time < ${r.toMs}ms`;
}

/** The InfluxQL of a request: raw rows without a window, else windows (exported for tests and logs). */
export function rangeInfluxQL(r: RangeRequest): string {
  const from = `FROM ${quoteIdent(r.domain)} ${where(r)}`;
  if (!r.window) {
    const fields = r.metrics.flatMap((m) => [quoteIdent(m), quoteIdent(`q_${m}`)]).join(', ');
    return `SELECT ${fields} ${from} ORDER BY time ASC LIMIT ${Math.trunc(r.limit) + 1}`;
  }
  const agg = r.agg ?? 'mean';
  const fields = r.metrics.map((m) => `${agg}(${quoteIdent(m)}) AS ${quoteIdent(m)}`).join(', ');
  const offset = r.window === '1d' ? `, ${DAY_WINDOW_OFFSET}` : '';
  return `SELECT ${fields} ${from} GROUP BY time(${r.window}${offset}) fill(none) ORDER BY time ASC`;
}

const isQuality = (v: unknown): v is Quality => typeof v === 'string' && (QUALITIES as readonly string[]).includes(v);

/** Raw rows, oldest first; `more` when rows beyond `limit` exist in the range. */
export async function queryRaw(influx: InfluxQuerier, r: RangeRequest): Promise<{ rows: RawRow[]; more: boolean }> {
  if (r.window) throw new Error('queryRaw: a raw request has no window');
  const series = await influx.query(rangeInfluxQL(r));
  const rows: RawRow[] = [];
  for (const s of series) {
    const col = (name: string): number => s.columns.indexOf(name);
    for (const row of s.values) {
      const values: RawRow['values'] = {};
      let any = false;
      for (const m of r.metrics) {
        const v = row[col(m)];
        const q = row[col(`q_${m}`)];
        if (typeof v === 'number') {
          values[m] = { v, q: isQuality(q) ? q : 'ok' };
          any = true;
        } else {
          values[m] = null;
        }
      }
      if (any) rows.push({ ts: Number(row[col('time')]), values });
    }
  }
  rows.sort((a, b) => a.ts - b.ts);
  return { rows: rows.slice(0, r.limit), more: rows.length > r.limit };
}

/** One row per window holding data, oldest first (window start time). */
export async function queryWindows(influx: InfluxQuerier, r: RangeRequest & { readonly window: ReadingWindow }): Promise<WindowRow[]> {
  const series = await influx.query(rangeInfluxQL(r));
  const rows: WindowRow[] = [];
  for (const s of series) {
    const col = (name: string): number => s.columns.indexOf(name);
    for (const row of s.values) {
      const values: WindowRow['values'] = {};
      for (const m of r.metrics) {
        const v = row[col(m)];
        values[m] = typeof v === 'number' ? v : null;
      }
      rows.push({ ts: Number(row[col('time')]), values });
    }
  }
  return rows.sort((a, b) => a.ts - b.ts);
}
