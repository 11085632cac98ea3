/**
 * Delivery statistics of a device that moves between the nodes of a cluster. Each node counts
 * what it receives of a device during its stay there (SequenceTracker: a stay begins with the
 * first message the node sees of the device, ends when the device leaves) and saves that stay as
 * a row of its own, every 5 s and at once when the device leaves (final). No node ever writes
 * another node's count, so saves landing late or out of order change nothing: a device's
 * statistics are its stays, continued one from the other in the order they began
 * (delivery-stats-store.ts `foldStays`), read by every node
 * - for the devices it holds: what came before its own stay, read when the device arrives and
 *   again whenever another node saves one of its stays (the node it left may save after the
 *   device's first messages here — under load, or when its disconnect comes late);
 * - for all others: shown as saved, read again every `refresh()`.
 * Which node saw a message first, which presence event came when, whose save landed first: none
 * of it changes the result once the saves are read (delivery-handover.test.ts drives the orders).
 *
 * Stays follow each other in the order of their first message's time on each node's clock:
 * nodes whose clocks differ by more than the time a device takes to reconnect may put two stays
 * the wrong way round. A node killed with -9 cannot save: up to one save interval (5 s) of the
 * stay it held is lost, and that stay stays open until the node starts again (docs/capacity.md).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SequenceStay, SequenceTracker } from '../accept/sequence-tracker.ts';
import type { DeliveryStatsStore, DeliveryStay } from './delivery-stats-store.ts';
import { byStart, foldStays } from './delivery-stats-store.ts';

export interface DeliveryHandoverOptions {
  readonly tracker: SequenceTracker;
  readonly store: DeliveryStatsStore;
  readonly logger: Logger;
  /** This node (its stays carry it; its open stays are completed when it starts again). */
  readonly nodeId: string;
  /** How often arrivals and departures are read and written, in batches, ms. Default 100. */
  readonly tickMs?: number;
}

/** Stays saved within this long before the last one seen are read again (saves of several nodes land out of order). */
const REREAD_MS = 5000;

export class DeliveryHandover {
  readonly #o: Required<DeliveryHandoverOptions>;
  /** Tells this process's stays from those of the node's earlier runs. */
  readonly #run = randomUUID().slice(0, 8);
  /** Devices connected to this node. */
  readonly #held = new Set<string>();
  /** Arrivals whose stays so far are to read. */
  readonly #toRead = new Set<string>();
  /** Stays to save, by stay id (those that ended as final). */
  readonly #toSave = new Map<string, DeliveryStay>();
  #chain: Promise<void> = Promise.resolve();
  #since: string | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(o: DeliveryHandoverOptions) {
    this.#o = { tickMs: 100, ...o };
    this.#timer = setInterval(() => this.#tick(), this.#o.tickMs);
    this.#timer.unref();
  }

  /** Devices (a gateway and its child stations) connected to this node: what other nodes counted of them is read. */
  arrived(ids: readonly string[]): void {
    for (const id of ids) {
      this.#held.add(id);
      this.#toRead.add(id);
    }
  }

  /** Devices that left this node: their stays here are saved at once, as final. */
  left(ids: readonly string[]): void {
    for (const id of ids) {
      this.#held.delete(id);
      this.#toRead.delete(id);
      const stay = this.#o.tracker.endStay(id);
      if (stay) this.#queue(this.#record(id, stay, true));
    }
    this.#tick();
  }

  /**
   * Saves the stays that changed (platform.ts, every 5 s): still open for the devices held here,
   * final for those not (a message that came after the device left).
   */
  saveChanged(): Promise<void> {
    return this.#serial(async () => {
      for (const [id, stay] of this.#o.tracker.takeDirtyStays()) {
        if (this.#held.has(id)) this.#queue(this.#record(id, stay, false));
        else this.#queue(this.#record(id, this.#o.tracker.endStay(id) ?? stay, true));
      }
      await this.#flush();
    });
  }

  /** Reads the stays other nodes saved since the last call: every device is shown with its latest statistics. */
  refresh(): Promise<void> {
    return this.#serial(async () => {
      const { stays, latest } = await this.#o.store.staysSince(this.#since);
      const unsaved = this.#unsaved();
      for (const [id, list] of stays) this.#show(id, list, unsaved);
      if (latest !== undefined) this.#since = new Date(Date.parse(latest) - REREAD_MS).toISOString();
    });
  }

  /** Resolves when the work started so far (reads, saves) is done. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** The node stops: every stay it holds ends and is saved as final. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#serial(async () => {
      for (const [id, stay] of this.#o.tracker.takeDirtyStays()) this.#queue(this.#record(id, stay, !this.#held.has(id)));
      for (const id of this.#held) {
        const stay = this.#o.tracker.endStay(id);
        if (stay) this.#queue(this.#record(id, stay, true));
      }
      this.#held.clear();
      await this.#flush();
    });
  }

  #tick(): void {
    if (this.#toRead.size === 0 && this.#toSave.size === 0) return;
    this.#serial(() => this.#flush()).catch(() => undefined);
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch((err: unknown) => this.#o.logger.warn({ err }, 'delivery statistics not handed over'));
    return run;
  }

  /** Reads the arrivals' stays so far, then saves the stays that ended. */
  async #flush(): Promise<void> {
    if (this.#toRead.size > 0) {
      const ids = [...this.#toRead];
      this.#toRead.clear();
      const stays = await this.#o.store.staysOf(ids).catch((err: unknown) => {
        for (const id of ids) if (this.#held.has(id)) this.#toRead.add(id);
        throw err;
      });
      const unsaved = this.#unsaved();
      for (const id of ids) this.#show(id, stays.get(id) ?? [], unsaved);
    }
    if (this.#toSave.size === 0) return;
    const save = [...this.#toSave.values()];
    this.#toSave.clear();
    try {
      await this.#o.store.saveStays(save);
    } catch (err) {
      // Tried again at the next tick (saved twice, a stay is still one row); a newer save of the same stay wins.
      for (const s of save) if (!this.#toSave.has(s.stayId)) this.#toSave.set(s.stayId, s);
      throw err;
    }
  }

  #queue(stay: DeliveryStay): void {
    this.#toSave.set(stay.stayId, stay);
  }

  /** Devices with a stay here not saved yet. */
  #unsaved(): Set<string> {
    return new Set([...this.#toSave.values()].map((s) => s.deviceId));
  }

  /** A device's saved stays: continued by this node's own stay if it counts one, else shown as they are. */
  #show(id: string, stays: readonly DeliveryStay[], unsaved: ReadonlySet<string>): void {
    const own = this.#o.tracker.stayOf(id);
    if (own) {
      const ownId = this.#stayId(own);
      const before = stays.filter((s) => s.stayId !== ownId && byStart(s, { ...s, startedAt: own.since, stayId: ownId }) < 0);
      this.#o.tracker.setPrior(id, foldStays(before)?.stats);
      return;
    }
    // Its stay here that just ended is not saved yet: shown as counted here until it is.
    if (unsaved.has(id)) return;
    const all = foldStays(stays);
    if (all) this.#o.tracker.put(id, all.stats);
  }

  #stayId(stay: SequenceStay): string {
    return `${this.#o.nodeId}/${this.#run}/${stay.stay}`;
  }

  #record(deviceId: string, stay: SequenceStay, final: boolean): DeliveryStay {
    return { deviceId, stayId: this.#stayId(stay), nodeId: this.#o.nodeId, startedAt: stay.since, firstSeq: stay.firstSeq, stats: stay.stats, final };
  }
}
