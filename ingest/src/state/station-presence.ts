/**
 * Whether a station is online. A station with its own MQTT connection: its presence (connect,
 * disconnect, last will), on whichever node holds it. A child station has no connection of its
 * own: it is online while its gateway is connected and has reported (a readings message) since
 * that connection began — a gateway that is up does not make a silent RTU look alive, and one
 * that is down takes all its children offline with it. The stale-station rule still watches
 * each child's readings.
 */
import type { Station } from '@shanshui/models';
import type { PresenceStore } from './presence-store.ts';
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
  readonly presence: Pick<PresenceStore, 'get'>;
  readonly sequences: Pick<SequenceTracker, 'stats'>;
}

/** Whether a child station counts as online: its gateway is connected and it reported since that connection began. */
export function childOnline(gateway: { readonly online: boolean; readonly since: string } | undefined, lastReportAt: string | undefined): boolean {
  return gateway?.online === true && lastReportAt !== undefined && Date.parse(lastReportAt) >= Date.parse(gateway.since);
}

/** Which of `stations` are online, from one read of every device's presence. */
export async function onlineStations(sources: { readonly presence: Pick<PresenceStore, 'online'>; readonly sequences: Pick<SequenceTracker, 'stats'> }, stations: readonly Station[]): Promise<Set<string>> {
  const online = await sources.presence.online();
  const out = new Set<string>();
  for (const s of stations) {
    if (s.gatewayId === undefined) {
      if (online.has(s.id)) out.add(s.id);
      continue;
    }
    const since = online.get(s.gatewayId);
    if (childOnline(since === undefined ? undefined : { online: true, since }, sources.sequences.stats(s.id)?.lastAt)) out.add(s.id);
  }
  return out;
}

export async function stationPresence(sources: PresenceSources, station: Pick<Station, 'id' | 'gatewayId'>): Promise<StationPresence> {
  if (station.gatewayId === undefined) {
    const p = await sources.presence.get(station.id);
    return p ? { online: p.online, since: p.since, remoteAddress: p.remoteAddress } : { online: false };
  }
  const gateway = await sources.presence.get(station.gatewayId);
  const lastReportAt = sources.sequences.stats(station.id)?.lastAt;
  const online = childOnline(gateway, lastReportAt);
  return { online, via: station.gatewayId, ...(lastReportAt ? { lastReportAt } : {}) };
}
