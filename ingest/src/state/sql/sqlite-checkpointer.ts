/**
 * Checkpoints of the platform's SQLite database off the main thread. In WAL mode a commit
 * that takes the log past 1000 pages copies the log into the database file and fsyncs it —
 * inside that commit, synchronously: 5–30 ms here during which the event loop (every PUBACK,
 * every warning's webhook) waits. Under load the rule states alone fill the log every few
 * seconds. So the main connection turns that off (wal_autocheckpoint = 0) and a worker thread
 * with a connection of its own runs a PASSIVE checkpoint every `intervalMs` — it never blocks
 * the writer, and a writer never waits for it. Should the thread die, the main connection
 * goes back to checkpointing itself (`onExit`), so the log cannot grow without bound.
 */
import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./sqlite-checkpoint-worker.ts', import.meta.url);
/** How long `stop()` waits for the thread's last checkpoint before terminating it. */
const STOP_WAIT_MS = 10_000;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  #stopping = false;
  #exited: Promise<void>;

  /** `onExit`: the thread ended without being asked to (the caller checkpoints itself again). */
  constructor(file: string, intervalMs: number, onExit: (err?: Error) => void) {
    this.#worker = new Worker(WORKER_URL, { workerData: { file, intervalMs }, name: 'shanshui-sqlite-checkpoint' });
    this.#worker.unref();
    let failed: Error | undefined;
    this.#worker.on('error', (err) => (failed = err));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        if (!this.#stopping) onExit(failed ?? new Error('SQLite checkpoint thread exited'));
        resolve();
      }),
    );
  }

  /** A last checkpoint, then the thread's connection closes (before the main one, which then removes the log). */
  async stop(): Promise<void> {
    if (this.#stopping) return this.#exited;
    this.#stopping = true;
    const timer = setTimeout(() => {
      this.#worker.terminate().catch(() => undefined);
    }, STOP_WAIT_MS);
    this.#worker.postMessage('stop');
    await this.#exited;
    clearTimeout(timer);
  }
}
