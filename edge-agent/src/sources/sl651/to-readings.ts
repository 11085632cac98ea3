/**
 * An SL 651 report → `SourceReading[]`.
 *
 * - One reading per observation time (`F0 F0`) of point values, kind by function:
 *   32 'timed', 33 'added', 34 'hourly'. Groups with the same time are merged.
 * - F4 DRP / F5 DRZ1 arrays become twelve '5min' readings. Which five-minute slot the group's
 *   observation time names is ⚠️ unsettled: a field hourly report seen in public code puts
 *   F0 F0 hh:05 before the array (time of the first value), so 'first' is the default;
 *   'last' reads it as the time of the twelfth value.
 * - Invalid values (FF/AA) are dropped and listed; unknown identifiers are listed, not fatal.
 * - SL 651 has no per-value quality flags: values are 'ok'.
 */
import type { SourceReading, SourceValue } from '../source-reading.ts';
import { resolveSl651Element } from './element-map.ts';
import type { Sl651ElementOverrides } from './element-map.ts';
import type { Sl651Report } from './report.ts';

export const SL651_REPORT_KINDS: Readonly<Record<number, string>> = {
  0x32: 'timed',
  0x33: 'added',
  0x34: 'hourly',
};

/** Kind of readings from F4/F5 five-minute arrays. */
export const SL651_ARRAY_KIND = '5min';
const FIVE_MINUTES_MS = 5 * 60_000;

export interface Sl651ToReadingsOptions {
  /** Per-station element overrides. Default none. */
  elements?: Sl651ElementOverrides;
  /** Source used when the body has no `F1 F1` station address (e.g. the frame header's). */
  station?: string;
  /** Which array value the observation time belongs to. Default 'first'. */
  arrayTimeAnchor?: 'first' | 'last';
}

export interface Sl651ToReadingsResult {
  readings: SourceReading[];
  /** Identifier keys not in the map (nor ignored by an override). */
  unknownElements: string[];
  /** Identifier keys whose value the station marked invalid (one entry per invalid value). */
  invalid: string[];
  notes: string[];
}

export function sl651ToReadings(report: Sl651Report, options: Sl651ToReadingsOptions = {}): Sl651ToReadingsResult {
  const result: Sl651ToReadingsResult = { readings: [], unknownElements: [], invalid: [], notes: [] };
  const source = report.station ?? options.station;
  if (source === undefined) {
    result.notes.push('no station address');
    return result;
  }
  const kind = SL651_REPORT_KINDS[report.functionCode] ?? `fn${report.functionCode.toString(16).toUpperCase()}`;
  const byKey = new Map<string, SourceReading>();
  const put = (ts: Date, readingKind: string, metric: string, value: SourceValue): void => {
    const key = `${readingKind}@${ts.getTime()}`;
    let reading = byKey.get(key);
    if (reading === undefined) {
      reading = { source, ts, values: {}, kind: readingKind };
      byKey.set(key, reading);
      result.readings.push(reading);
    }
    if (Object.hasOwn(reading.values, metric)) result.notes.push(`${metric} at ${ts.toISOString()} sent twice; last one kept`);
    reading.values[metric] = value;
  };

  for (const group of report.groups) {
    for (const element of group.elements) {
      if (element.status !== undefined) continue;
      const target = resolveSl651Element(element.key, options.elements);
      if (target === null) continue;
      if (target === undefined) {
        result.unknownElements.push(element.key);
        continue;
      }
      if (element.malformed !== undefined) {
        result.notes.push(`${element.key}: ${element.malformed}`);
        continue;
      }
      if (group.observedAt === undefined) {
        result.notes.push(`${element.key} has no observation time; dropped`);
        continue;
      }
      const scale = target.scale ?? 1;
      if (element.values !== undefined) {
        const first = options.arrayTimeAnchor === 'last' ? group.observedAt.getTime() - (element.values.length - 1) * FIVE_MINUTES_MS : group.observedAt.getTime();
        element.values.forEach((v, i) => {
          if (v === null) result.invalid.push(element.key);
          else put(new Date(first + i * FIVE_MINUTES_MS), SL651_ARRAY_KIND, target.metric, { value: v * scale, quality: 'ok' });
        });
        continue;
      }
      if (element.invalid || element.value === undefined) {
        result.invalid.push(element.key);
        continue;
      }
      put(group.observedAt, kind, target.metric, { value: element.value * scale, quality: 'ok' });
    }
  }
  // Arrays and point values interleave by time; hand them over in time order.
  result.readings.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return result;
}
