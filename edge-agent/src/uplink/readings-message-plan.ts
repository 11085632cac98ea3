/**
 * Plans one readings message from the rows a lane offers (`send-order.ts`). Pure: no I/O.
 *
 * Child stations (a gateway publishing for the RTUs / data loggers behind it): every message
 * carries the rows of one station only, on that station's topic with that station's own `seq`.
 * A message takes the first unsent row's station and gathers that station's rows from the rows
 * offered, so interleaved stations still travel in full messages (NB-IoT packing per station);
 * rows of other stations stay for the next message, and each station's rows keep their order.
 * Rows already in a message awaiting its PUBACK, and rows of parked stations
 * (`station-parking.ts`), are passed over.
 */
import type { BufferedItem } from '../buffer/reading-buffer.ts';
import { packReadings } from './readings-packer.ts';
import type { PackLimits, WireReading } from './readings-packer.ts';

export interface ReadingsMessagePlan {
  /** The station of the message (undefined: the agent's own). */
  readonly station: string | undefined;
  /** Rows whose body is not valid JSON: to be dropped (acknowledged) and counted. */
  readonly corrupt: BufferedItem[];
  /** Rows the message carries, oldest first; empty when there is nothing to send. */
  readonly carried: BufferedItem[];
  /** The readings of each payload; empty while `carried` is not: not one value fits any payload (drop those rows). */
  readonly parts: WireReading[][];
  /** JSON: each part's readings already serialized, when the packer has them (see `encodeReadings`). */
  readonly partsJson: string[] | undefined;
  /** A reading was split over payloads and some of its values fit none (dropped). */
  readonly valuesDropped: boolean;
  /** The lane's cursor may move to this id: every row up to it is carried, dropped or passed over. */
  readonly cursorTo: number | undefined;
}

/**
 * `passOver(row)`: the row is in flight already or its station is parked. Every row of the
 * result's `carried` and `corrupt` counts as handled for `cursorTo`.
 */
export function planReadingsMessage(rows: readonly BufferedItem[], passOver: (row: BufferedItem) => boolean, limits: PackLimits): ReadingsMessagePlan {
  const skipped = new Set(rows.filter(passOver).map((r) => r.id));
  const handled = new Set<number>(skipped);
  const fresh = rows.filter((r) => !skipped.has(r.id));
  const station = fresh[0]?.station;
  const corrupt: BufferedItem[] = [];
  const items: BufferedItem[] = [];
  const readings: WireReading[] = [];
  for (const row of fresh) {
    if (row.station !== station) continue;
    try {
      readings.push(JSON.parse(row.body) as WireReading);
      items.push(row);
    } catch {
      corrupt.push(row);
      handled.add(row.id);
    }
  }
  let carried: BufferedItem[] = [];
  let parts: WireReading[][] = [];
  let partsJson: string[] | undefined;
  let valuesDropped = false;
  if (readings.length > 0) {
    const plan = packReadings(readings, limits);
    carried = items.slice(0, plan.count);
    parts = plan.parts;
    partsJson = plan.partsJson;
    for (const c of carried) handled.add(c.id);
    if (parts.length > 0) {
      const total = Object.keys(readings[0]!.values).length;
      const kept = parts.length > 1 || Object.keys(parts[0]![0]!.values).length < total ? parts.reduce((n, p) => n + Object.keys(p[0]!.values).length, 0) : total;
      valuesDropped = kept < total;
    }
  }
  let cursorTo: number | undefined;
  for (const row of rows) {
    if (!handled.has(row.id)) break;
    cursorTo = row.id;
  }
  return { station, corrupt, carried, parts, partsJson, valuesDropped, cursorTo };
}
