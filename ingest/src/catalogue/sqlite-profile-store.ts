/**
 * Custom station profiles in the platform's SQLite file, table `profiles` (one JSON definition
 * per profile, validated again with ProfileSchema when read: a hand-edited row cannot slip
 * past the schema).
 */
import type { DatabaseSync } from 'node:sqlite';
import { ProfileSchema } from '@shanshui/models';
import type { Profile } from '@shanshui/models';
import type { ProfileStore, StoredProfile } from './profile-store.ts';

interface Row {
  id: string;
  definition: string;
  updated_at: string;
  updated_by: string;
}

export class SqliteProfileStore implements ProfileStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec('CREATE TABLE IF NOT EXISTS profiles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, definition TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL)');
  }

  async all(): Promise<StoredProfile[]> {
    const rows = this.#db.prepare('SELECT id, definition, updated_at, updated_by FROM profiles ORDER BY id').all() as unknown as Row[];
    return rows.map((r) => ({ profile: ProfileSchema.parse(JSON.parse(r.definition)), updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  async put(profile: Profile, by: string): Promise<StoredProfile> {
    const updatedAt = new Date().toISOString();
    this.#db
      .prepare(
        'INSERT INTO profiles (id, version, definition, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, definition = excluded.definition, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
      )
      .run(profile.id, profile.version, JSON.stringify(profile), updatedAt, by);
    return { profile, updatedAt, updatedBy: by };
  }
}
