/**
 * The station profiles in force: the catalogue's built-in ones and the custom ones in the store,
 * held in memory and resolved once (models resolveProfile) so the publish path looks a
 * station's metric table up without I/O. A profile put through the API is in force for the next
 * reading — nothing restarts. (Several platform nodes: a profile put on one node is announced
 * through `onPut` and the others `reload()` — see docs/catalogue.md.)
 */
import { BUILTIN_PROFILES, DOMAIN_SPECS, ProfileError, fieldSpec, metricSpec, missingProfileAttributes, resolveProfile } from '@shanshui/models';
import type { Domain, MetricSpec, Profile, ResolvedProfile, Station, StationInput } from '@shanshui/models';
import type { ProfileStore, StoredProfile } from './profile-store.ts';

export class ProfileRefusal extends Error {
  /** HTTP status that fits: 400 bad definition, 409 conflicts with a built-in profile. */
  readonly status: 400 | 409;
  readonly code: 'API_ERR_VALIDATION' | 'API_ERR_EXISTS';
  constructor(status: 400 | 409, message: string) {
    super(message);
    this.status = status;
    this.code = status === 409 ? 'API_ERR_EXISTS' : 'API_ERR_VALIDATION';
  }
}

export class ProfileCatalogue {
  readonly #store: ProfileStore;
  readonly #custom = new Map<string, StoredProfile>();
  #resolved = new Map<string, ResolvedProfile>();

  private constructor(store: ProfileStore) {
    this.#store = store;
  }

  /** Called after a profile was put through this node (a cluster tells the other nodes to `reload()`). */
  onPut: ((id: string) => void) | undefined;

  static async load(store: ProfileStore): Promise<ProfileCatalogue> {
    const catalogue = new ProfileCatalogue(store);
    for (const p of await store.all()) catalogue.#custom.set(p.profile.id, p);
    return catalogue;
  }

  /** Reads the custom profiles again (put through another node); returns the ids that changed. */
  async reload(): Promise<string[]> {
    const fresh = await this.#store.all();
    const changed = fresh.filter((p) => this.#custom.get(p.profile.id)?.profile.version !== p.profile.version).map((p) => p.profile.id);
    if (changed.length === 0) return changed;
    for (const p of fresh) this.#custom.set(p.profile.id, p);
    this.#resolved = new Map();
    return changed;
  }

  /** A profile by id, built-in or custom. */
  get(id: string): Profile | undefined {
    return BUILTIN_PROFILES.get(id) ?? this.#custom.get(id)?.profile;
  }

  /** Every profile: built-in ones first, then custom ones, each with where it comes from. */
  all(): Array<{ profile: Profile; builtin: boolean; updatedAt?: string; updatedBy?: string }> {
    return [
      ...[...BUILTIN_PROFILES.values()].map((profile) => ({ profile, builtin: true })),
      ...[...this.#custom.values()].map((s) => ({ profile: s.profile, builtin: false, updatedAt: s.updatedAt, updatedBy: s.updatedBy })),
    ];
  }

  resolve(id: string): ResolvedProfile | undefined {
    let r = this.#resolved.get(id);
    if (r) return r;
    const profile = this.get(id);
    if (!profile) return undefined;
    r = resolveProfile(profile, (pid) => this.get(pid));
    this.#resolved.set(id, r);
    return r;
  }

  /**
   * What a station's readings are validated against: its profile's metric table, or its domain
   * (no profile, or the domain's own profile, which is the whole domain).
   */
  metricsFor(station: Pick<Station, 'domain' | 'profile'>): Domain | Readonly<Record<string, MetricSpec>> {
    if (station.profile === undefined || station.profile === station.domain) return station.domain;
    return this.resolve(station.profile)?.metrics ?? station.domain;
  }

  /** The spec of a field of a station's readings: its profile's metric (custom ones too) or statistic, else its domain's. */
  specOf(station: Pick<Station, 'domain' | 'profile'>, field: string): MetricSpec | undefined {
    const against = this.metricsFor(station);
    return typeof against === 'string' ? metricSpec(against, field) : fieldSpec(against, field);
  }

  /** Adds or replaces a custom profile (version + 1 on replace); throws ProfileRefusal. */
  async put(input: Profile, by: string): Promise<StoredProfile> {
    if (BUILTIN_PROFILES.has(input.id)) {
      throw new ProfileRefusal(409, `profile ${input.id} is built in; extend it with a profile of your own id ("extends": "${input.id}")`);
    }
    const previous = this.#custom.get(input.id);
    if (previous && previous.profile.domain !== input.domain) {
      throw new ProfileRefusal(400, `domain: profile ${input.id} is of domain ${previous.profile.domain}; a profile keeps its domain (its stations' measurement)`);
    }
    const profile: Profile = { ...input, version: (previous?.profile.version ?? 0) + 1 };
    const lookup = (id: string): Profile | undefined => (id === profile.id ? profile : this.get(id));
    try {
      resolveProfile(profile, lookup);
      // Profiles extending this one must still resolve with the change.
      for (const other of this.#custom.values()) if (other.profile.id !== profile.id) resolveProfile(other.profile, lookup);
    } catch (err) {
      if (err instanceof ProfileError) throw new ProfileRefusal(400, `${err.path}: ${err.message}`);
      throw err;
    }
    const stored = await this.#store.put(profile, by);
    this.#custom.set(profile.id, stored);
    this.#resolved = new Map();
    this.onPut?.(profile.id);
    return stored;
  }

  /** Why a station may not use its profile (unknown, other domain, required attribute missing), or undefined. */
  checkStation(station: Pick<StationInput, 'domain' | 'profile' | 'attributes'>): string | undefined {
    if (station.profile === undefined) return undefined;
    const profile = this.get(station.profile);
    if (!profile) return `profile: no profile ${station.profile} (GET /api/v1/profiles lists them)`;
    if (profile.domain !== station.domain) return `profile: ${station.profile} is a profile of domain ${profile.domain} (${DOMAIN_SPECS[profile.domain as Domain]?.name ?? ''}), the station is of ${station.domain}`;
    const resolved = this.resolve(station.profile);
    const missing = resolved ? missingProfileAttributes(resolved, station.attributes) : [];
    if (missing.length > 0) return `attributes: profile ${station.profile} requires ${missing.join(', ')}`;
    return undefined;
  }
}
