/**
 * Custom station profiles in platform state, table `profiles` (migration 3; SQLite or
 * PostgreSQL): one JSON definition per profile, validated again with ProfileSchema when read,
 * so a hand-edited row cannot slip past the schema.
 */
import { ProfileSchema } from '@shanshui/models';
import type { Profile } from '@shanshui/models';
import type { SqlClient } from '../state/sql/sql-client.ts';
import type { ProfileStore, StoredProfile } from './profile-store.ts';

interface Row {
  definition: string;
  updated_at: string;
  updated_by: string;
}

export class SqlProfileStore implements ProfileStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async all(): Promise<StoredProfile[]> {
    const rows = await this.#sql.all<Row>('SELECT definition, updated_at, updated_by FROM profiles ORDER BY id');
    return rows.map((r) => ({ profile: ProfileSchema.parse(JSON.parse(r.definition)), updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  async put(profile: Profile, by: string): Promise<StoredProfile> {
    const updatedAt = new Date().toISOString();
    await this.#sql.run(
      'INSERT INTO profiles (id, version, definition, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, definition = excluded.definition, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
      [profile.id, profile.version, JSON.stringify(profile), updatedAt, by],
    );
    return { profile, updatedAt, updatedBy: by };
  }
}
