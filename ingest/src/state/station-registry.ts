/** Station registry: the state store's stations, cached in memory for the publish hot path. */
import type { Station, StationInput } from '@shanshui/models';
import type { StateStore } from './state-store.ts';
import { generateSecret, hashSecret, verifySecret } from './device-secret.ts';
import { createHash } from 'node:crypto';

export class StationRegistry {
  readonly #store: StateStore;
  readonly #cache = new Map<string, Station>();
  /** sha256 of secrets already verified by scrypt in this process: reconnect storms stay cheap. */
  readonly #verified = new Map<string, string>();
  readonly #scryptCost: number;
  /** Called after a station is added (active) or removed (inactive). */
  onChange: ((station: Station, active: boolean) => void) | undefined;

  constructor(store: StateStore, options: { scryptCost?: number } = {}) {
    this.#store = store;
    this.#scryptCost = options.scryptCost ?? 16384;
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

  /** Registers a station; returns it with its MQTT secret, which is never shown again. */
  async register(input: StationInput): Promise<{ station: Station; secret: string }> {
    const secret = generateSecret();
    const hash = await hashSecret(secret, this.#scryptCost);
    const station = this.#store.insertStation(input, hash);
    this.#cache.set(station.id, station);
    this.onChange?.(station, true);
    return { station, secret };
  }

  async rotateSecret(id: string): Promise<string | undefined> {
    if (!this.#cache.has(id)) return undefined;
    const secret = generateSecret();
    this.#store.setSecretHash(id, await hashSecret(secret, this.#scryptCost));
    this.#verified.delete(id);
    return secret;
  }

  remove(id: string): boolean {
    const station = this.#cache.get(id);
    this.#cache.delete(id);
    this.#verified.delete(id);
    const removed = this.#store.deleteStation(id);
    if (station) this.onChange?.(station, false);
    return removed;
  }

  async authenticate(id: string, secret: string): Promise<boolean> {
    if (!this.#cache.has(id)) return false;
    const digest = createHash('sha256').update(secret).digest('base64');
    if (this.#verified.get(id) === digest) return true;
    const hash = this.#store.secretHash(id);
    if (!hash || !(await verifySecret(secret, hash))) return false;
    this.#verified.set(id, digest);
    return true;
  }
}
