/** Per-device message sequence statistics (SequenceTracker), saved in batches off the publish path. */
import { continued } from '../accept/sequence-tracker.ts';
import type { SequenceStats } from '../accept/sequence-tracker.ts';

/**
 * Cluster: what one node counted of a device during one stay there (delivery-handover.ts). Each
 * node writes only its own stays, so no save of one node overwrites another's; a device's
 * statistics are its stays continued one from the other in the order they began (`foldStays`).
 */
export interface DeliveryStay {
  readonly deviceId: string;
  /** Unique per stay (node, process, number). */
  readonly stayId: string;
  readonly nodeId: string;
  /** When the stay's first message came, ms (the order of stays). */
  readonly startedAt: number;
  /** Its first sequence number (where it joins on to the stays before it). */
  readonly firstSeq: number;
  readonly stats: SequenceStats;
  /** The device left: the stay is complete and never written again. */
  readonly final: boolean;
}

export interface DeliveryStatsStore {
  /** Single node: the statistics of every device, as the tracker holds them. */
  save(stats: ReadonlyMap<string, SequenceStats>): Promise<void>;
  load(): Promise<Map<string, SequenceStats>>;
  /**
   * Cluster: writes these stays (a stay already saved as final is not written again). The
   * complete stays at the start of a device's history are folded into one row.
   */
  saveStays(stays: readonly DeliveryStay[]): Promise<void>;
  /** The stays of these devices, each device's in order. */
  staysOf(deviceIds: readonly string[]): Promise<Map<string, DeliveryStay[]>>;
  /**
   * The stays of every device that has a stay saved (by any node) at or after `since` (ISO time;
   * undefined: all), and the time to ask from next.
   */
  staysSince(since: string | undefined): Promise<{ readonly stays: Map<string, DeliveryStay[]>; readonly latest: string | undefined }>;
  /** The stays a node left open (it was killed, or stopped before saving them as final) are complete. */
  endStaysOf(nodeId: string): Promise<void>;
}

/** Orders stays as they followed each other. */
export function byStart(a: DeliveryStay, b: DeliveryStay): number {
  return a.startedAt - b.startedAt || (a.stayId < b.stayId ? -1 : a.stayId > b.stayId ? 1 : 0);
}

/** A device's statistics from its stays (in order): each continues the one before. */
export function foldStays(stays: readonly DeliveryStay[]): { readonly stats: SequenceStats; readonly firstSeq: number } | undefined {
  let out: { stats: SequenceStats; firstSeq: number } | undefined;
  for (const s of stays) out = out ? { stats: continued(out.stats, s.stats, s.firstSeq), firstSeq: out.firstSeq } : { stats: { ...s.stats }, firstSeq: s.firstSeq };
  return out;
}
