/**
 * Presence written behind, in batches: connects and disconnects gathered for `flushMs` go to the
 * store in one transaction, in the order they happened (one batch at a time, so a later change
 * never overtakes an earlier one). A reconnect storm of thousands of devices is then a few
 * transactions a second, not one per CONNECT. Errors go to `onError`; nothing waits on it.
 * Readers use `readView`: a read first waits for the changes written so far, so the API never
 * shows a device offline that has connected, nor online after its station was removed.
 */
import type { PresenceChange, PresenceStore } from './presence-store.ts';

export interface PresenceWriterOptions {
  /** How long changes gather before they are written, ms. Default 50. */
  readonly flushMs?: number;
  /** Most changes per transaction. Default 1000. */
  readonly maxBatch?: number;
  readonly onError: (err: unknown, changes: number) => void;
}

export class PresenceWriter {
  readonly #store: Pick<PresenceStore, 'setMany'>;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #onError: (err: unknown, changes: number) => void;
  #queue: PresenceChange[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(store: Pick<PresenceStore, 'setMany'>, o: PresenceWriterOptions) {
    this.#store = store;
    this.#flushMs = o.flushMs ?? 50;
    this.#maxBatch = o.maxBatch ?? 1000;
    this.#onError = o.onError;
  }

  write(change: PresenceChange): void {
    this.#queue.push(change);
    this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  /** Resolves once every change written so far is stored (or reported failed). */
  async settled(): Promise<void> {
    while (this.#queue.length > 0 || this.#timer !== undefined) this.#flush();
    await this.#writing;
  }

  /** `store` as readers see it: every read waits for the changes written so far (read-your-writes). */
  readView(store: PresenceStore): PresenceStore {
    return {
      set: (deviceId, online, remoteAddress, nodeId, atMs) => store.set(deviceId, online, remoteAddress, nodeId, atMs),
      setMany: (changes) => store.setMany(changes),
      get: async (deviceId) => {
        await this.settled();
        return store.get(deviceId);
      },
      online: async () => {
        await this.settled();
        return store.online();
      },
      resetNode: (nodeId) => store.resetNode(nodeId),
      heartbeat: (nodeId, atMs) => store.heartbeat(nodeId, atMs),
      sweepSilentNodes: async (silentSinceMs, atMs) => {
        await this.settled();
        return store.sweepSilentNodes(silentSinceMs, atMs);
      },
    };
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#writing = this.#writing.then(() => this.#store.setMany(batch)).catch((err: unknown) => this.#onError(err, batch.length));
    }
  }
}
