/**
 * What every protocol source (HJ 212, SL 651, …) hands to the rest of the edge agent: readings
 * keyed by our metric names, still tagged with the station identity the protocol uses, so the
 * mapping to a Shanshui station id happens in one place downstream.
 */
import type { Quality } from '@shanshui/models/edge';

export interface SourceValue {
  value: number;
  quality: Quality;
}

export interface SourceReading {
  /** Station identity as the protocol names it: HJ 212 MN, SL 651 station address (10 hex/BCD digits). */
  source: string;
  ts: Date;
  values: Record<string, SourceValue>;
  /** 'realtime' | 'minute' | 'hour' | 'day' (HJ 212) · 'timed' | 'added' | 'hourly' | '5min' (SL 651). */
  kind: string;
  /**
   * The Shanshui child station these readings belong to, resolved from `source` by the source
   * set (the config's `stations` map, or an OPC-UA item's `stationId`). Undefined: the agent's
   * own station.
   */
  stationId?: string;
}
