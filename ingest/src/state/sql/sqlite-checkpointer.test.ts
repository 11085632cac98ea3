/** The SQLite log is checkpointed by the checkpointer's thread, not in the main connection's commits. */
import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteClient } from './sqlite-client.ts';

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => ({ size: 0 }))).size;
}

async function fill(client: SqliteClient, rounds: number): Promise<void> {
  await client.run('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)');
  for (let r = 0; r < rounds; r++) {
    await client.transaction(async (tx) => {
      for (let i = 0; i < 500; i++) await tx.run('INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v', [`k${i}`, `${r}-${'x'.repeat(300)}`]);
    });
  }
}

test('a file database: commits never checkpoint; the thread copies the log into the database file, and closing removes the log', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-ckpt-'));
  try {
    const file = path.join(dir, 'state.db');
    const client = new SqliteClient(file, { checkpointIntervalMs: 50 });
    assert.equal((client.database.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint, 0, 'no checkpoint inside a commit');
    const before = await sizeOf(file);
    // Over 1000 pages of log: SQLite itself would have checkpointed in one of these commits.
    await fill(client, 30);
    // Pages reach the database file only through a checkpoint: the thread's.
    await expect.poll(() => sizeOf(file), { timeout: 30_000 }).toBeGreaterThan(before + 100_000);
    await client.close();
    assert.equal(await sizeOf(`${file}-wal`), 0, 'the log is gone after close');
    const again = new SqliteClient(file, { checkpointIntervalMs: 0 });
    assert.equal((await again.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n, 500, 'every row there');
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('checkpointIntervalMs 0 and in-memory databases leave checkpoints to SQLite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-ckpt-'));
  try {
    const plain = new SqliteClient(path.join(dir, 'plain.db'), { checkpointIntervalMs: 0 });
    assert.equal((plain.database.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint, 1000);
    await plain.close();
    const memory = new SqliteClient(':memory:');
    await fill(memory, 1);
    await memory.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
