/**
 * Station registry: the store's stations, cached in memory for the publish hot path (which
 * never waits on the database). A device unknown to the cache is looked up in the store when it
 * connects, so a station registered through another platform node is served at once.
 */
import type { Station, StationInput, StationUpdate } from '@shanshui/models';
import type { StationStore } from './station-store.ts';
import type { DeviceSecrets } from './device-secret.ts';
import { createHash } from 'node:crypto';
import { isUniqueViolation } from './sql/unique-violation.ts';
import { BatchedLookup } from './batched-lookup.ts';

export class StationRegistry {
  readonly #store: StationStore;
  readonly #cache = new Map<string, Station>();
  /**
   * Child station ids by gateway id, kept with the cache: a CONNECT asks for its device's
   * children (rule state and delivery handover), and with 100,000 stations a scan of the whole
   * cache per CONNECT made a reconnect storm quadratic.
   */
  readonly #children = new Map<string, Set<string>>();
  /** sha256 of secrets already verified by scrypt (person-chosen) in this process: reconnect storms stay cheap. */
  readonly #verified = new Map<string, string>();
  readonly #secrets: DeviceSecrets;
  /**
   * Keyed hashes (HMAC) of stations' secrets, read once and kept: a reconnect storm verifies
   * them without a query each. Dropped whenever the station is written — here, or through another
   * node (its notice, or the store's change feed).
   */
  readonly #hashes = new Map<string, string>();
  /** Bumped when a station's cached credentials are dropped: a lookup that raced the change is not cached. */
  readonly #credentialEpoch = new Map<string, number>();
  readonly #hashLookup: BatchedLookup<string, string>;
  /** Called after a station is added (active) or removed (inactive). */
  onChange: ((station: Station, active: boolean) => void) | undefined;
  /**
   * Called when a device's MQTT session must end: its station was removed, its secret rotated,
   * or it became a child station (which publishes only through its gateway).
   */
  onSessionRevoked: ((id: string) => void) | undefined;

  private constructor(store: StationStore, secrets: DeviceSecrets) {
    this.#store = store;
    this.#secrets = secrets;
    this.#hashLookup = new BatchedLookup({ loadMany: (ids) => store.secretHashes(ids) });
  }

  /** Drops what this node remembers of a station's credentials (changed, here or on another node). */
  forgetCredentials(id: string): void {
    this.#verified.delete(id);
    this.#hashes.delete(id);
    this.#credentialEpoch.set(id, (this.#credentialEpoch.get(id) ?? 0) + 1);
  }

  /** A registry with every stored station loaded. */
  /** `beforeRemove`: awaited before a station's records are deleted (presence written behind must land first, or it would outlive the station). */
  static async open(store: StationStore, secrets: DeviceSecrets, hooks: { readonly beforeRemove?: (id: string) => Promise<void> } = {}): Promise<StationRegistry> {
    const registry = new StationRegistry(store, secrets);
    registry.#beforeRemove = hooks.beforeRemove;
    // Where the change feed stands before the load: whatever changes meanwhile is read again.
    registry.#changeCursor = (await store.changesSince(undefined)).lastId;
    for (const s of await store.all()) registry.#put(s);
    // Their keyed hashes too, in a few bulk reads: a reconnect storm after a restart then verifies
    // every CONNECT from memory instead of a query per handful of devices (a changed secret
    // anywhere drops its hash: the notice, and the change feed from the cursor read above).
    const ids = [...registry.#cache.keys()];
    for (let i = 0; i < ids.length; i += 5000) {
      for (const [id, hash] of await store.secretHashes(ids.slice(i, i + 5000))) if (hash.startsWith('hmac-sha256$')) registry.#hashes.set(id, hash);
    }
    return registry;
  }

  #changeCursor: number | undefined;
  #beforeRemove: ((id: string) => Promise<void>) | undefined;

  /**
   * Refreshes the stations written since the last call, by any node (the store's change feed):
   * a station registered, changed, deleted or given new credentials elsewhere is seen here too.
   * Returns how many stations it read again.
   */
  async syncChanges(): Promise<number> {
    const { lastId, stationIds } = await this.#store.changesSince(this.#changeCursor);
    this.#changeCursor = lastId;
    for (const id of stationIds) {
      // Credentials may have been rotated elsewhere: the next CONNECT verifies against the store.
      await this.refresh(id);
    }
    return stationIds.length;
  }

  /**
   * Reads one station again from the store (changed or removed through another node); returns it
   * as now stored. Fires onChange when it appeared, changed or went away.
   */
  async refresh(id: string): Promise<Station | undefined> {
    const before = this.#cache.get(id);
    this.forgetCredentials(id);
    const now = await this.#store.get(id);
    if (now) {
      this.#put(now);
      if (JSON.stringify(before) !== JSON.stringify(now)) this.onChange?.(now, true);
    } else if (before) {
      this.#drop(id);
      this.onChange?.(before, false);
      this.onSessionRevoked?.(id);
    }
    return now;
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
   * `check` runs after the secret is hashed, right before the insert: it throws to refuse. The
   * store's primary key refuses a second station with the same id, from any node.
   */
  async register(input: StationInput, check?: () => void): Promise<{ station: Station; secret: string }> {
    const { secret, hash } = this.#secrets.generate();
    check?.();
    let station: Station;
    try {
      station = await this.#store.insert(input, hash);
    } catch (err) {
      // Registered meanwhile (through another node): `check` refuses it now that the cache knows it.
      if (isUniqueViolation(err) && (await this.refresh(input.id))) check?.();
      throw err;
    }
    this.#put(station);
    this.onChange?.(station, true);
    return { station, secret };
  }

  async rotateSecret(id: string): Promise<string | undefined> {
    if (!this.#cache.has(id)) return undefined;
    const { secret, hash } = this.#secrets.generate();
    await this.#store.setSecretHash(id, hash);
    this.forgetCredentials(id);
    this.onSessionRevoked?.(id);
    return secret;
  }

  /** Applies `update` (gatewayId null = detached); returns the station as stored, or undefined when unknown. */
  async update(id: string, update: StationUpdate): Promise<Station | undefined> {
    const current = this.#cache.get(id);
    if (!current) return undefined;
    const { gatewayId, ...rest } = update;
    const { gatewayId: _previous, ...base } = current;
    const parent = gatewayId === undefined ? current.gatewayId : (gatewayId ?? undefined);
    const next: Station = { ...base, ...rest, ...(parent ? { gatewayId: parent } : {}) };
    if (!(await this.#store.update(next))) return undefined;
    this.#put(next);
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
    const ids = this.#children.get(gatewayId);
    if (!ids) return [];
    return [...ids].flatMap((id) => this.#cache.get(id) ?? []).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Caches `station`, keeping the gateway index in step. */
  #put(station: Station): void {
    const before = this.#cache.get(station.id)?.gatewayId;
    if (before !== undefined && before !== station.gatewayId) this.#unlinkChild(before, station.id);
    this.#cache.set(station.id, station);
    if (station.gatewayId !== undefined) {
      let set = this.#children.get(station.gatewayId);
      if (!set) this.#children.set(station.gatewayId, (set = new Set()));
      set.add(station.id);
    }
  }

  #drop(id: string): void {
    const gatewayId = this.#cache.get(id)?.gatewayId;
    if (gatewayId !== undefined) this.#unlinkChild(gatewayId, id);
    this.#cache.delete(id);
  }

  #unlinkChild(gatewayId: string, childId: string): void {
    const set = this.#children.get(gatewayId);
    set?.delete(childId);
    if (set?.size === 0) this.#children.delete(gatewayId);
  }

  async remove(id: string): Promise<boolean> {
    const station = this.#cache.get(id);
    this.#drop(id);
    this.forgetCredentials(id);
    await this.#beforeRemove?.(id);
    const removed = await this.#store.remove(id);
    // Its children stay (their data is theirs) but no longer name a gateway that is gone.
    if ((await this.#store.detachChildren(id)) > 0) {
      for (const child of this.childrenOf(id)) {
        const { gatewayId: _gone, ...detached } = child;
        this.#put(detached);
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
    const station = this.#cache.get(id) ?? (await this.refresh(id));
    if (!station || station.gatewayId !== undefined) return false;
    let hash = this.#hashes.get(id);
    if (hash !== undefined) return (await this.#secrets.verify(secret, hash)).ok;
    const digest = createHash('sha256').update(secret).digest('base64');
    if (this.#verified.get(id) === digest) return true;
    const epoch = this.#credentialEpoch.get(id);
    hash = await this.#hashLookup.get(id);
    if (!hash) return false;
    if (hash.startsWith('hmac-sha256$') && this.#credentialEpoch.get(id) === epoch) this.#hashes.set(id, hash);
    const check = await this.#secrets.verify(secret, hash);
    if (!check.ok) return false;
    // A station from before keyed hashes: its scrypt hash was verified this once; from now on
    // the keyed hash serves (unless the secret was rotated meanwhile — then it stays as it is).
    if (check.upgradedHash !== undefined && (await this.#store.secretHash(id)) === hash) await this.#store.setSecretHash(id, check.upgradedHash);
    else if (hash.startsWith('scrypt$')) this.#verified.set(id, digest);
    return true;
  }
}
