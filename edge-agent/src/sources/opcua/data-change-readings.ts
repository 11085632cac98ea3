/**
 * Data changes → readings: value × scale + offset with the StatusCode mapped to a quality
 * (`status-quality.ts`), stamped sourceTimestamp ?? serverTimestamp ?? now. Changes gathered
 * until `take()` (the source takes them once per event-loop turn) become one reading per
 * (station, timestamp); items naming a child station become readings of that station.
 * A Bad value without a number carries the item's last value, so the quality reaches the
 * platform. No I/O.
 */
import type { Logger } from 'pino';
import type { SourceConfig } from '@shanshui/models/edge';
import { DataType } from 'node-opcua';
import type { DataValue, Variant } from 'node-opcua';
import type { SourceReading } from '../source-reading.ts';
import { opcuaStatusToQuality } from './status-quality.ts';
import { variantToNumber } from './variant-number.ts';

export type OpcuaItemConfig = Extract<SourceConfig, { kind: 'opcua' }>['items'][number];
type Quality = SourceReading['values'][string]['quality'];

interface PendingChange {
  /** The item's child station, else the agent's own. */
  readonly station: string;
  readonly metric: string;
  readonly value: number;
  readonly quality: Quality;
  readonly ts: Date;
}

export class DataChangeReadings {
  readonly #stationId: string;
  readonly #log: Logger;
  #pending: PendingChange[] = [];
  readonly #lastValue = new Map<string, number>();
  readonly #warnedNonNumeric = new Set<string>();

  /** `stationId`: the agent's own station, for items that name none. */
  constructor(stationId: string, log: Logger) {
    this.#stationId = stationId;
    this.#log = log;
  }

  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /** One data change of `item`. Returns its quality and whether it gave a value to send. */
  add(item: OpcuaItemConfig, dataValue: DataValue): { quality: Quality; queued: boolean } {
    const quality = opcuaStatusToQuality(dataValue.statusCode);
    const station = item.stationId ?? this.#stationId;
    const key = `${station}\n${item.metric}`;
    const raw = variantToNumber(dataValue.value as Variant | null);
    let value: number | undefined;
    if (raw !== undefined) {
      value = raw * item.scale + item.offset;
      this.#lastValue.set(key, value);
    } else if (quality !== 'ok') {
      // Bad values usually come without one: carry the last value so the quality reaches the platform.
      value = this.#lastValue.get(key);
    } else if (!this.#warnedNonNumeric.has(item.nodeId)) {
      this.#warnedNonNumeric.add(item.nodeId);
      this.#log.warn({ nodeId: item.nodeId, dataType: DataType[dataValue.value?.dataType ?? DataType.Null] }, 'node does not carry a number; its values are skipped');
    }
    if (value === undefined) return { quality, queued: false };
    this.#pending.push({ station, metric: item.metric, value, quality, ts: timestampOf(dataValue) });
    return { quality, queued: true };
  }

  /** The readings gathered since the last call, one per (station, timestamp); a metric seen twice at one time starts a new reading. */
  take(): SourceReading[] {
    const changes = this.#pending;
    this.#pending = [];
    const readings: SourceReading[] = [];
    const open = new Map<string, SourceReading>();
    for (const change of changes) {
      const key = `${change.station}\n${change.ts.getTime()}`;
      let reading = open.get(key);
      if (!reading || change.metric in reading.values) {
        reading = { source: change.station, ts: change.ts, values: {}, kind: 'opcua' };
        readings.push(reading);
        open.set(key, reading);
      }
      reading.values[change.metric] = { value: change.value, quality: change.quality };
    }
    return readings;
  }
}

/** sourceTimestamp, else serverTimestamp, else now. */
export function timestampOf(dataValue: Pick<DataValue, 'sourceTimestamp' | 'serverTimestamp'>): Date {
  for (const ts of [dataValue.sourceTimestamp, dataValue.serverTimestamp]) {
    // OPC-UA's "no timestamp" is DateTime.MinValue (1601); anything before 1970 is not a reading time.
    if (ts instanceof Date && ts.getTime() > 0) return ts;
  }
  return new Date();
}
