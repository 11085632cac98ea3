/** Per-device message sequence statistics (SequenceTracker), saved in batches off the publish path. */
import type { SequenceStats } from '../accept/sequence-tracker.ts';

export interface DeliveryStatsStore {
  save(stats: ReadonlyMap<string, SequenceStats>): Promise<void>;
  load(): Promise<Map<string, SequenceStats>>;
  /** The stored statistics of these devices (those that have any). */
  get(deviceIds: readonly string[]): Promise<Map<string, SequenceStats>>;
  /**
   * Statistics saved (by any node) at or after `since` (ISO time; undefined: all), and the time
   * to ask from next.
   */
  savedSince(since: string | undefined): Promise<{ readonly stats: Map<string, SequenceStats>; readonly latest: string | undefined }>;
}
