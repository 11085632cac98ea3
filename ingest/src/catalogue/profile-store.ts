/** Custom station profiles an admin added through the API (docs/catalogue.md): the store contract. */
import type { Profile } from '@shanshui/models';

export interface StoredProfile {
  readonly profile: Profile;
  readonly updatedAt: string;
  /** Who last changed it (the API token's name). */
  readonly updatedBy: string;
}

export interface ProfileStore {
  all(): Promise<StoredProfile[]>;
  /** Inserts or replaces the profile (its version already set by the caller). */
  put(profile: Profile, by: string): Promise<StoredProfile>;
}
