/**
 * An HJ 212 data upload → `SourceReading[]` (docs/standards/hj212.md §1.6, §1.8, §1.9;
 * docs/standards/hj212-codes.md).
 *
 * - CN 2011 real-time data carries `Rtd`; 2051 minute, 2061 hour and 2031 day data carry `Avg`,
 *   the metric's own field. `Min`, `Max`, `Cou` and the 折算 `ZsRtd`/`ZsAvg`/`ZsMin`/`ZsMax`
 *   are kept as fields of their own (`<metric>_min`, `_max`, `_cou`, `_zs`, `_zs_min`, `_zs_max`).
 *   Which suffix is the metric's own value is configurable per CN.
 * - `DataTime` is the logger's local clock (UTC+8 by default).
 * - `code-Flag` letters map to qualities through `HJ212_FLAG_QUALITY` for every field of the
 *   factor; an unknown letter is kept as 'fault' with a note, so a value is never silently trusted.
 * - A code the station's table does not know, a suffix that carries no value we store, a `Cou`
 *   of a metric without an emission total or a 折算 of one that has none: each such field comes
 *   back as a dead field (code, suffix, value, reason) for the dead-letter path, never silently.
 * A packet without a usable DataTime yields no reading: inventing a timestamp would misplace
 * the data in history.
 */
import { HJ212_DEFAULT_TABLE, HJ212_FLAG_QUALITY, HJ212_META_SUFFIXES, HJ212_VALUE_SUFFIXES } from '@shanshui/models';
import type { Hj212CodeTable, Quality } from '@shanshui/models';
import type { SourceReading, SourceValue } from '../source-reading.ts';
import { resolveFactor } from './factor-map.ts';
import type { FactorOverrides } from './factor-map.ts';
import { CST_OFFSET_MINUTES, parseHj212Time } from './hj212-time.ts';
import type { Hj212Packet } from './packet.ts';

/** CN of a data upload → reading kind. Other CNs produce no readings. */
export const HJ212_DATA_KINDS: Readonly<Record<string, string>> = {
  '2011': 'realtime',
  '2051': 'minute',
  '2061': 'hour',
  '2031': 'day',
};

/** CN → CP suffix read as the metric's own value. */
export const HJ212_VALUE_SUFFIX: Readonly<Record<string, string>> = {
  '2011': 'Rtd',
  '2051': 'Avg',
  '2061': 'Avg',
  '2031': 'Avg',
};

/** The suffix of the metric's own value in the other kind of upload (Rtd in interval data, Avg in real-time data). */
const OTHER_MAIN: Readonly<Record<string, string>> = { Rtd: 'Avg', Avg: 'Rtd' };
const ZS_OF_MAIN: Readonly<Record<string, string>> = { Rtd: 'ZsRtd', Avg: 'ZsAvg' };

export interface Hj212ToReadingsOptions {
  /** Minutes east of UTC of the logger's clock. Default 480 (UTC+8). */
  utcOffsetMinutes?: number;
  /** Per-CN suffix overrides, e.g. `{ '2061': 'Max' }`. Default `HJ212_VALUE_SUFFIX`. */
  valueSuffix?: Readonly<Record<string, string>>;
  /** Per-device factor overrides. Default none. */
  factors?: FactorOverrides;
  /** Code table of the station's domain (models hj212CodeTableFor). Default ambient air + surface water + noise. */
  table?: Hj212CodeTable;
}

/** One CP field that could not be stored, with why. */
export interface Hj212DeadField {
  readonly code: string;
  readonly suffix: string;
  readonly value: string;
  readonly reason: string;
}

export interface Hj212ToReadingsResult {
  readings: SourceReading[];
  /** Factor codes carrying a value but not in the table (each also in deadFields). */
  unknownFactors: string[];
  /** Fields kept out of the readings: for the dead-letter path. */
  deadFields: Hj212DeadField[];
  /** Human-readable notes: unknown flag letters, unparsable values, missing DataTime. */
  notes: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function hj212ToReadings(packet: Hj212Packet, options: Hj212ToReadingsOptions = {}): Hj212ToReadingsResult {
  const result: Hj212ToReadingsResult = { readings: [], unknownFactors: [], deadFields: [], notes: [] };
  const kind = HJ212_DATA_KINDS[packet.cn];
  if (kind === undefined) return result;
  const standardMain = HJ212_VALUE_SUFFIX[packet.cn] ?? 'Rtd';
  const main = options.valueSuffix?.[packet.cn] ?? standardMain;
  const table = options.table ?? HJ212_DEFAULT_TABLE;

  const values: Record<string, SourceValue> = {};
  for (const [code, fields] of Object.entries(packet.cp.factors)) {
    const target = resolveFactor(code, options.factors, table);
    if (target === null) continue;
    const valued = Object.entries(fields).filter(([suffix]) => !HJ212_META_SUFFIXES.includes(suffix));
    if (target === undefined) {
      if (valued.length > 0) result.unknownFactors.push(code);
      for (const [suffix, value] of valued) result.deadFields.push({ code, suffix, value, reason: `factor code ${code} is not in the station's code table` });
      continue;
    }
    const q = quality(code, fields.Flag, result.notes);
    for (const [suffix, text] of valued) {
      const field = fieldOf(target.metric, suffix, main, standardMain);
      if (field === undefined) {
        result.deadFields.push({ code, suffix, value: text, reason: `suffix ${suffix} carries no value of CN ${packet.cn}` });
        continue;
      }
      const spec = target.spec;
      if (spec && field.endsWith('_cou') && spec.couUnit === undefined) {
        result.deadFields.push({ code, suffix, value: text, reason: `${target.metric} has no emission total (Cou)` });
        continue;
      }
      if (spec && field.includes('_zs') && spec.corrected !== true) {
        result.deadFields.push({ code, suffix, value: text, reason: `${target.metric} has no 折算 value` });
        continue;
      }
      if (!NUMBER.test(text)) {
        result.notes.push(`${code}-${suffix}=${JSON.stringify(text)} is not a number`);
        continue;
      }
      // A Cou total is not rescaled with the concentration: scale converts the concentration unit only.
      const value = Number(text) * (field.endsWith('_cou') ? 1 : (target.scale ?? 1));
      if (Object.hasOwn(values, field)) result.notes.push(`${code}-${suffix} maps to ${field}, already set by another factor; last one kept`);
      values[field] = { value, quality: q };
    }
  }
  if (Object.keys(values).length === 0) return result;

  const ts = packet.cp.dataTime === undefined ? undefined : parseHj212Time(packet.cp.dataTime, options.utcOffsetMinutes ?? CST_OFFSET_MINUTES);
  if (ts === undefined) {
    result.notes.push(`DataTime ${JSON.stringify(packet.cp.dataTime ?? null)} missing or invalid; packet dropped`);
    return result;
  }
  result.readings.push({ source: packet.mn, ts, values, kind });
  return result;
}

/**
 * The field a CP suffix is stored as; undefined when it has none in this upload: the metric's
 * own value is `main` (Avg/Rtd by default, per-CN configurable); the standard's value suffix of
 * the other upload kind (Rtd in minute data) is not one of this packet's values.
 */
function fieldOf(metric: string, suffix: string, main: string, standardMain: string): string | undefined {
  if (suffix === main) return metric;
  if (suffix === OTHER_MAIN[standardMain]) return undefined;
  if (suffix === standardMain) return undefined; // replaced by the configured main suffix
  if (suffix === ZS_OF_MAIN[OTHER_MAIN[standardMain] ?? '']) return undefined;
  const stat = Object.hasOwn(HJ212_VALUE_SUFFIXES, suffix) ? HJ212_VALUE_SUFFIXES[suffix] : undefined;
  if (stat === undefined || stat === '') return undefined;
  return `${metric}${stat}`;
}

function quality(code: string, flag: string | undefined, notes: string[]): Quality {
  if (flag === undefined || flag === '') return 'ok';
  const letter = flag.trim().toUpperCase();
  if (Object.hasOwn(HJ212_FLAG_QUALITY, letter)) return HJ212_FLAG_QUALITY[letter]!;
  notes.push(`${code}-Flag=${JSON.stringify(flag)} is not an HJ 212 data flag; quality set to fault`);
  return 'fault';
}
