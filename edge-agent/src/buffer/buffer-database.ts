/**
 * The agent's buffer file: one SQLite database (WAL, `synchronous=FULL` — a committed row
 * survives kill -9 and power loss) holding the reading queue (`reading-buffer.ts`), the message
 * sequence counters (`sequence-counter.ts`) and the command journal (`command-journal.ts`).
 * Opens the file, creates or upgrades the schema, and runs transactions for all three.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Opens (creating) the buffer database at `file`; its folder is created 0700. */
export function openBufferDatabase(file: string): DatabaseSync {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(file);
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS items (
      id INTEGER PRIMARY KEY AUTOINCREMENT, priority INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS items_by_priority ON items (priority, id);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS commands_started (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0), ('dropped', 0);
  `);
  // Buffers written before child stations existed: every row is the agent's own (NULL).
  const columns = (db.prepare('PRAGMA table_info(items)').all() as Array<{ name: string }>).map((c) => c.name);
  if (!columns.includes('station')) db.exec('ALTER TABLE items ADD COLUMN station TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS items_by_station ON items (station) WHERE station IS NOT NULL');
  return db;
}

/**
 * Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT), rolling back and rethrowing when it
 * throws. `durable: false` commits without waiting for the disk (WAL `synchronous=NORMAL`): for
 * changes a crash may undo harmlessly — an acknowledged row deleted again after a restart is
 * only sent once more, and the platform stores a reading once by (series, time).
 */
export function inTransaction(db: DatabaseSync, fn: () => void, durable = true): void {
  if (!durable) db.exec('PRAGMA synchronous = NORMAL');
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      db.exec('COMMIT');
    } catch (err) {
      // On SQLITE_FULL (and some I/O errors) SQLite has already rolled back by itself.
      if (db.isTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // the caller restores its own state all the same
        }
      }
      throw err;
    }
  } finally {
    if (!durable) db.exec('PRAGMA synchronous = FULL');
  }
}
