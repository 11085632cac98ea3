/** Stations and their device credentials (secret hashes) in platform state. */
import type { Station, StationInput } from '@shanshui/models';

export interface StationFilter {
  readonly domain?: string;
  readonly department?: string;
  /** Region code prefix (440106 matches 440106001…). */
  readonly region?: string;
  /** Only these departments (a token's scope); undefined = all. */
  readonly departments?: readonly string[];
  readonly limit: number;
  readonly offset: number;
}

export interface StationStore {
  insert(input: StationInput, secretHash: string): Promise<Station>;
  /** Writes a station's changeable fields; false when it does not exist. */
  update(station: Station): Promise<boolean>;
  /** A gateway is gone: its children no longer name it. Returns how many changed. */
  detachChildren(gatewayId: string): Promise<number>;
  get(id: string): Promise<Station | undefined>;
  all(): Promise<Station[]>;
  list(filter: StationFilter): Promise<{ items: Station[]; total: number }>;
  secretHash(id: string): Promise<string | undefined>;
  /** The secret hashes of several stations at once (those that exist). */
  secretHashes(ids: readonly string[]): Promise<Map<string, string>>;
  setSecretHash(id: string, hash: string): Promise<boolean>;
  /**
   * Deletes a station with its delivery statistics, presence and dead letters (one
   * transaction): the id may be registered again, by another department, which must see none of it.
   */
  remove(id: string): Promise<boolean>;
  /**
   * Stations written since change `afterId` (any node: registered, changed, credentials rotated,
   * detached, deleted), and the last change id to ask from next time. `afterId` undefined: none,
   * only where the feed stands now.
   */
  changesSince(afterId: number | undefined): Promise<{ lastId: number; stationIds: string[] }>;
}
