/**
 * An HJ 212 data upload → `SourceReading[]` (reference §1.6, §1.8, §1.9).
 *
 * - CN 2011 real-time data carries `Rtd`; 2051 minute, 2061 hour and 2031 day data carry
 *   `Avg` (also Min/Max/Cou). Which suffix becomes the value is configurable per CN.
 * - `DataTime` is the logger's local clock (UTC+8 by default).
 * - `code-Flag` letters map to qualities through `HJ212_FLAG_QUALITY`; an unknown letter is
 *   kept as 'fault' with a note, so a value is never silently trusted.
 * - Unknown factor codes are returned (for counting), never fatal.
 * A packet without a usable DataTime yields no reading: inventing a timestamp would misplace
 * the data in history.
 */
import { HJ212_FLAG_QUALITY } from '@shanshui/models';
import type { Quality } from '@shanshui/models';
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

/** CN → CP suffix read as the value. */
export const HJ212_VALUE_SUFFIX: Readonly<Record<string, string>> = {
  '2011': 'Rtd',
  '2051': 'Avg',
  '2061': 'Avg',
  '2031': 'Avg',
};

export interface Hj212ToReadingsOptions {
  /** Minutes east of UTC of the logger's clock. Default 480 (UTC+8). */
  utcOffsetMinutes?: number;
  /** Per-CN suffix overrides, e.g. `{ '2061': 'Max' }`. Default `HJ212_VALUE_SUFFIX`. */
  valueSuffix?: Readonly<Record<string, string>>;
  /** Per-device factor overrides. Default none. */
  factors?: FactorOverrides;
}

export interface Hj212ToReadingsResult {
  readings: SourceReading[];
  /** Factor codes carrying the value suffix but not in the map. */
  unknownFactors: string[];
  /** Human-readable notes: unknown flag letters, unparsable values, missing DataTime. */
  notes: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function hj212ToReadings(packet: Hj212Packet, options: Hj212ToReadingsOptions = {}): Hj212ToReadingsResult {
  const result: Hj212ToReadingsResult = { readings: [], unknownFactors: [], notes: [] };
  const kind = HJ212_DATA_KINDS[packet.cn];
  if (kind === undefined) return result;
  const suffix = options.valueSuffix?.[packet.cn] ?? HJ212_VALUE_SUFFIX[packet.cn] ?? 'Rtd';

  const values: Record<string, SourceValue> = {};
  for (const [code, fields] of Object.entries(packet.cp.factors)) {
    const text = fields[suffix];
    if (text === undefined) continue;
    const target = resolveFactor(code, options.factors);
    if (target === null) continue;
    if (target === undefined) {
      result.unknownFactors.push(code);
      continue;
    }
    if (!NUMBER.test(text)) {
      result.notes.push(`${code}-${suffix}=${JSON.stringify(text)} is not a number`);
      continue;
    }
    const value = Number(text) * (target.scale ?? 1);
    if (Object.hasOwn(values, target.metric)) {
      result.notes.push(`${code} maps to ${target.metric}, already set by another factor; last one kept`);
    }
    values[target.metric] = { value, quality: quality(code, fields.Flag, result.notes) };
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

function quality(code: string, flag: string | undefined, notes: string[]): Quality {
  if (flag === undefined || flag === '') return 'ok';
  const letter = flag.trim().toUpperCase();
  if (Object.hasOwn(HJ212_FLAG_QUALITY, letter)) return HJ212_FLAG_QUALITY[letter];
  notes.push(`${code}-Flag=${JSON.stringify(flag)} is not an HJ 212 data flag; quality set to fault`);
  return 'fault';
}
