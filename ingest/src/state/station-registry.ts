/** Station registry: the state store's stations, cached in memory for the publish hot path. */
import type { Station, StationInput, StationUpdate } from '@shanshui/models';
import type { StateStore } from './state-store.ts';
import type { DeviceSecrets } from './device-secret.ts';
import { createHash } from 'node:crypto';

export class StationRegistry {
  readonly #store: StateStore;
  readonly #cache = new Map<string, Station>();
  /** sha256 of secrets already verified by scrypt (person-chosen) in this process: reconnect storms stay cheap. */
  readonly #verified = new Map<string, string>();
  readonly #secrets: DeviceSecrets;
  /** Called after a station is added (active) or removed (inactive). */
  onChange: ((station: Station, active: boolean) => void) | undefined;
  /**
   * Called when a device's MQTT session must end: its station was removed, its secret rotated,
   * or it became a child station (which publishes only through its gateway).
   */
  onSessionRevoked: ((id: string) => void) | undefined;

  constructor(store: StateStore, secrets: DeviceSecrets) {
    this.#store = store;
    this.#secrets = secrets;
    for (const s of store.allStations()) this.#cache.set(s.id, s);
  }

  get(id: string): Station | undefined {
    return this.#cache.get(id);
  }

  all(): Station[] {
    return [...this.#cache.values()];
  }

  get size(): number {
    return this.#cache.size;
  }

  /**
   * Registers a station; returns it with its MQTT secret, which is never shown again.
   * `check` runs after the secret is hashed, right before the insert (no await between them):
   * whatever it validates still holds when the station is stored; it throws to refuse.
   */
  async register(input: StationInput, check?: () => void): Promise<{ station: Station; secret: string }> {
    const { secret, hash } = this.#secrets.generate();
    check?.();
    const station = this.#store.insertStation(input, hash);
    this.#cache.set(station.id, station);
    this.onChange?.(station, true);
    return { station, secret };
  }

  async rotateSecret(id: string): Promise<string | undefined> {
    if (!this.#cache.has(id)) return undefined;
    const { secret, hash } = this.#secrets.generate();
    this.#store.setSecretHash(id, hash);
    this.#verified.delete(id);
    this.onSessionRevoked?.(id);
    return secret;
  }

  /** Applies `update` (gatewayId null = detached); returns the station as stored, or undefined when unknown. */
  update(id: string, update: StationUpdate): Station | undefined {
    const current = this.#cache.get(id);
    if (!current) return undefined;
    const { gatewayId, ...rest } = update;
    const { gatewayId: _previous, ...base } = current;
    const parent = gatewayId === undefined ? current.gatewayId : (gatewayId ?? undefined);
    const next: Station = { ...base, ...rest, ...(parent ? { gatewayId: parent } : {}) };
    if (!this.#store.updateStation(next)) return undefined;
    this.#cache.set(id, next);
    this.onChange?.(next, true);
    if (next.gatewayId !== undefined && current.gatewayId === undefined) this.onSessionRevoked?.(id);
    return next;
  }

  /**
   * Whether device `publisherId` may publish for station `stationId`: its own, or a child
   * whose gatewayId names it. Read from the cache on every publish, so a re-parented or
   * removed child is refused at once, without a reconnect.
   */
  mayPublishFor(publisherId: string, stationId: string): boolean {
    if (publisherId === stationId) return true;
    return this.#cache.get(stationId)?.gatewayId === publisherId;
  }

  /** Child stations of a gateway, ordered by id. */
  childrenOf(gatewayId: string): Station[] {
    return this.all().filter((s) => s.gatewayId === gatewayId).sort((a, b) => a.id.localeCompare(b.id));
  }

  remove(id: string): boolean {
    const station = this.#cache.get(id);
    this.#cache.delete(id);
    this.#verified.delete(id);
    const removed = this.#store.deleteStation(id);
    // Its children stay (their data is theirs) but no longer name a gateway that is gone.
    if (this.#store.detachChildren(id) > 0) {
      for (const child of this.childrenOf(id)) {
        const { gatewayId: _gone, ...detached } = child;
        this.#cache.set(child.id, detached);
      }
    }
    if (station) {
      this.onChange?.(station, false);
      this.onSessionRevoked?.(id);
    }
    return removed;
  }

  /** A child station has no MQTT session of its own: it publishes only through its gateway. */
  async authenticate(id: string, secret: string): Promise<boolean> {
    const station = this.#cache.get(id);
    if (!station || station.gatewayId !== undefined) return false;
    const digest = createHash('sha256').update(secret).digest('base64');
    if (this.#verified.get(id) === digest) return true;
    const hash = this.#store.secretHash(id);
    if (!hash) return false;
    const check = await this.#secrets.verify(secret, hash);
    if (!check.ok) return false;
    // A station from before keyed hashes: its scrypt hash was verified this once; from now on
    // the keyed hash serves (unless the secret was rotated meanwhile — then it stays as it is).
    if (check.upgradedHash !== undefined && this.#store.secretHash(id) === hash) this.#store.setSecretHash(id, check.upgradedHash);
    else if (hash.startsWith('scrypt$')) this.#verified.set(id, digest);
    return true;
  }
}
