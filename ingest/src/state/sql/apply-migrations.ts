/** Applies the pending MIGRATIONS to a SQLite or PostgreSQL database; returns the versions applied. */
import type { DatabaseSync } from 'node:sqlite';
import type pg from 'pg';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from './migrations.ts';

export function migrateSqlite(db: DatabaseSync): number[] {
  db.exec(SCHEMA_MIGRATIONS_TABLE);
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      if (typeof m.sqlite === 'string') db.exec(m.sqlite);
      else m.sqlite(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`schema migration ${m.version} (${m.name}) failed`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}

/** Any key of our own: nodes starting together take turns, the first migrates, the others find nothing left to do. */
const MIGRATION_LOCK_KEY = 0x5348_5353; // 'SHSS'

export async function migratePostgres(pool: pg.Pool): Promise<number[]> {
  const c = await pool.connect();
  const applied: number[] = [];
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await c.query(SCHEMA_MIGRATIONS_TABLE);
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await c.query('BEGIN');
        try {
          await c.query(m.postgres);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw new Error(`schema migration ${m.version} (${m.name}) failed`, { cause: err });
        }
        applied.push(m.version);
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    c.release();
  }
  return applied;
}
