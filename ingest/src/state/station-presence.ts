/**
 * Whether a station is online. A station with its own MQTT connection: its presence (connect,
 * disconnect, last will). A child station has no connection of its own: it is online while its
 * gateway is connected and has reported (a readings message) since that connection began — a
 * gateway that is up does not make a silent RTU look alive, and one that is down takes all its
 * children offline with it. The stale-station rule still watches each child's readings.
 */
import type { Station } from '@shanshui/models';
import type { StateStore } from './state-store.ts';
import type { SequenceTracker } from '../accept/sequence-tracker.ts';

export interface StationPresence {
  readonly online: boolean;
  readonly since?: string;
  readonly remoteAddress?: string | null;
  /** Child station: the gateway it reports through. */
  readonly via?: string;
  /** Child station: when its last readings message arrived. */
  readonly lastReportAt?: string;
}

export interface PresenceSources {
  readonly store: Pick<StateStore, 'getPresence'>;
  readonly sequences: Pick<SequenceTracker, 'stats'>;
}

export function stationPresence(sources: PresenceSources, station: Pick<Station, 'id' | 'gatewayId'>): StationPresence {
  if (station.gatewayId === undefined) return sources.store.getPresence(station.id) ?? { online: false };
  const gateway = sources.store.getPresence(station.gatewayId);
  const lastReportAt = sources.sequences.stats(station.id)?.lastAt;
  const online = gateway?.online === true && lastReportAt !== undefined && Date.parse(lastReportAt) >= Date.parse(gateway.since);
  return { online, via: station.gatewayId, ...(lastReportAt ? { lastReportAt } : {}) };
}
