/**
 * Delivery statistics of a device that moves between the nodes of a cluster. The node a device
 * connects to holds its sequence statistics while it stays; it reads what the previous node
 * counted from the store and carries on from there (SequenceTracker.adopt), and when the device
 * leaves, it saves them at once for the next node. The statistics of devices held elsewhere are
 * read again from the store every `refresh()`, so any node's API shows every device.
 *
 * A node killed with -9 cannot save: up to one save interval of its devices' bookkeeping is lost,
 * and the next node may count those messages as missing (docs/capacity.md).
 */
import type { Logger } from 'pino';
import type { SequenceStats, SequenceTracker } from '../accept/sequence-tracker.ts';
import type { DeliveryStatsStore } from './delivery-stats-store.ts';

export interface DeliveryHandoverOptions {
  readonly tracker: SequenceTracker;
  readonly store: DeliveryStatsStore;
  readonly logger: Logger;
  /** How long after a device arrives its statistics are read, so the node it left has saved them (it saves at once), ms. Default 2000. */
  readonly settleMs?: number;
  /** How often arrivals and departures are written and read, in batches, ms. Default 100. */
  readonly tickMs?: number;
}

/** Statistics saved within this long before the last one seen are read again (saves of several nodes arrive out of order). */
const REREAD_MS = 5000;

export class DeliveryHandover {
  readonly #o: Required<DeliveryHandoverOptions>;
  /** Devices this node holds (connected here), and since when for those not yet adopted. */
  readonly #held = new Set<string>();
  readonly #arriving = new Map<string, number>();
  /** Left before their arrival was adopted: adopted, then saved. */
  readonly #leaving = new Set<string>();
  /** Statistics of departures, to save. */
  readonly #toSave = new Map<string, SequenceStats>();
  #chain: Promise<void> = Promise.resolve();
  #since: string | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(o: DeliveryHandoverOptions) {
    this.#o = { settleMs: 2000, tickMs: 100, ...o };
    this.#timer = setInterval(() => this.#tick(), this.#o.tickMs);
    this.#timer.unref();
  }

  /** Devices (a gateway and its child stations) connected to this node. */
  arrived(ids: readonly string[]): void {
    const now = Date.now();
    for (const id of ids) {
      this.#held.add(id);
      // Back before its earlier arrival was adopted: that adoption still stands.
      if (this.#leaving.delete(id)) continue;
      // What this node counted before (an earlier stay) is stale: the store has the latest.
      this.#o.tracker.forget(id);
      this.#arriving.set(id, now);
    }
  }

  /** Devices that left this node: their statistics are saved for the next one. */
  left(ids: readonly string[]): void {
    for (const id of ids) {
      this.#held.delete(id);
      if (this.#arriving.has(id)) {
        this.#leaving.add(id);
        continue;
      }
      const stats = this.#o.tracker.takeDirtyOf(id);
      if (stats) this.#toSave.set(id, stats);
    }
    // Saved now, not at the next tick: the node the device went to reads them `settleMs` after it arrived.
    this.#tick();
  }

  /** Reads the statistics other nodes saved since the last call, for the devices this node does not hold. */
  refresh(): Promise<void> {
    return this.#serial(async () => {
      const { stats, latest } = await this.#o.store.savedSince(this.#since);
      for (const [id, s] of stats) if (!this.#held.has(id) && !this.#leaving.has(id) && !this.#toSave.has(id)) this.#o.tracker.put(id, s);
      if (latest !== undefined) this.#since = new Date(Date.parse(latest) - REREAD_MS).toISOString();
    });
  }

  /** Resolves when the work started so far (reads, saves) is done. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Writes what is pending (departures) and stops. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#serial(() => this.#flush(Number.POSITIVE_INFINITY));
  }

  #tick(): void {
    if (this.#arriving.size === 0 && this.#toSave.size === 0) return;
    this.#serial(() => this.#flush(Date.now() - this.#o.settleMs)).catch(() => undefined);
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch((err: unknown) => this.#o.logger.warn({ err }, 'delivery statistics not handed over'));
    return run;
  }

  /** Adopts the arrivals settled before `settledBefore` (and any that already left, then saved), then saves the departures. */
  async #flush(settledBefore: number): Promise<void> {
    const due = [...this.#arriving].filter(([id, at]) => at <= settledBefore || this.#leaving.has(id)).map(([id]) => id);
    if (due.length > 0) {
      const before = await this.#o.store.get(due);
      for (const id of due) {
        this.#arriving.delete(id);
        this.#o.tracker.adopt(id, before.get(id));
        if (this.#leaving.delete(id)) {
          const stats = this.#o.tracker.takeDirtyOf(id);
          if (stats) this.#toSave.set(id, stats);
        }
      }
    }
    if (this.#toSave.size === 0) return;
    const save = new Map(this.#toSave);
    this.#toSave.clear();
    await this.#o.store.save(save);
  }
}
