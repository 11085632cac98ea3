/**
 * The SQLite checkpointer's thread (sqlite-checkpointer.ts): a connection of its own to the
 * platform's database that copies the write-ahead log into the database file every
 * `intervalMs` (PRAGMA wal_checkpoint(PASSIVE): never waits for, nor blocks, the writer), so the
 * copy and its fsyncs happen here and not inside a commit on the main thread. 'stop' runs a
 * last checkpoint, closes the connection and answers 'stopped'.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-worker.ts runs as a worker thread (SqliteCheckpointer)');
const { file, intervalMs } = workerData as { file: string; intervalMs: number };

const db = new DatabaseSync(file);
db.exec('PRAGMA busy_timeout = 5000;');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

function run(): void {
  try {
    checkpoint.get();
  } catch {
    // Busy or failed this time (the writer is never held up for it): the next tick tries again.
  }
}

const timer = setInterval(run, intervalMs);
port.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  run();
  db.close();
  port.postMessage('stopped');
  port.close();
});
