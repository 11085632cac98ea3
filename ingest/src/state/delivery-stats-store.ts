/** Per-device message sequence statistics (SequenceTracker), saved in batches off the publish path. */
import type { SequenceStats } from '../accept/sequence-tracker.ts';

export interface DeliveryStatsStore {
  save(stats: ReadonlyMap<string, SequenceStats>): Promise<void>;
  load(): Promise<Map<string, SequenceStats>>;
}
