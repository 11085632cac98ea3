/**
 * Decodes, validates and formats readings messages on worker threads (accept-worker.ts runs
 * acceptReadings), keeping the two guarantees of the inline path:
 * - Per-station order: a station always goes to the same worker (hash of its id), a worker
 *   answers its batches in order, and the pool resolves them in that order — so the caller's
 *   spool appends, and the rules after them, see a station's messages in publish order.
 * - Durable ack: the pool only computes; the caller appends the result to the spool and only
 *   then resolves the publish (PUBACK). A worker that dies is restarted and every batch it had
 *   not answered goes again, in order, to its successor — none of them was acknowledged. A
 *   batch that has seen MAX_ATTEMPTS workers die under it is done on the main thread
 *   (acceptReadings never throws on a payload, so the message is not the cause).
 * Messages handed in during one turn of the event loop go to each worker as one postMessage,
 * their device ids and payloads copied back to back into one transferred ArrayBuffer; the
 * results come back as numbers, one string of line protocol and a string table
 * (accept-worker-wire.ts), from which the readings are built here — cloning them as objects
 * cost this thread about what decoding the messages inline does.
 *
 * The station and the profile metrics a message is validated against are looked up here, when
 * it is handed in (as the inline path does); each worker is sent a station again whenever the
 * registry's object for it (or its metrics table) is not the one that worker last saw.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Station } from '@shanshui/models';
import { IngestError } from '../errors.ts';
import { acceptReadings } from './accept-readings.ts';
import type { AcceptedMessage } from './accept-readings.ts';
import type { AcceptBatchMessage, AcceptWorkerData, FromAcceptWorker, MetricsAgainst, StationEntry, ToAcceptWorker } from './accept-worker-protocol.ts';
import { decodeResults, encodeRequest } from './accept-worker-wire.ts';

/** Workers that may die under one batch before the main thread does it itself. */
const MAX_ATTEMPTS = 3;
/** Workers in a row that may die before they are ready, before a slot gives up on threads. */
const MAX_START_FAILURES = 3;
/** How long `close()` waits for the batches in flight. */
const CLOSE_WAIT_MS = 10_000;
const WORKER_URL = new URL('./accept-worker.ts', import.meta.url);

export interface AcceptWorkerPoolOptions {
  /** Worker threads (≥ 1). */
  readonly size: number;
  readonly station: (deviceId: string) => Station | undefined;
  readonly metricsFor: (station: Station) => MetricsAgainst;
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
  readonly logger: Logger;
}

export interface AcceptWorkerPoolStats {
  /** Messages answered by a worker. */
  readonly messages: number;
  /** postMessage batches sent (again after a restart too). */
  readonly batches: number;
  /** Workers restarted after they died. */
  readonly restarts: number;
  /** Messages done on the main thread (a batch workers kept dying under, or a slot that could not start one). */
  readonly inline: number;
}

/** How a message handed in is answered: its result, or why it was not accepted (the pool closed). Called once. */
export type AcceptDone = (err: Error | null, result?: AcceptedMessage) => void;

interface Item {
  readonly deviceId: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly station: Station | undefined;
  readonly against: MetricsAgainst | undefined;
  readonly done: AcceptDone;
}

interface Batch {
  readonly items: readonly Item[];
  attempts: number;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  /** The worker said it is ready (it loaded). */
  started: boolean;
  startFailures: number;
  /** No more threads for this slot: its messages are done on the main thread. */
  inline: boolean;
  /** What the worker's station table holds: what it was sent. */
  tables: Map<string, { readonly station: Station; readonly against: MetricsAgainst | undefined }>;
  /** Handed in, not yet posted. */
  outbox: Item[];
  /** Posted, not yet answered, by batch id in posting order. */
  inflight: Map<number, Batch>;
}

/** FNV-1a of the station id: the same station, the same worker. */
function slotOf(deviceId: string, size: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % size;
}

export class AcceptWorkerPool {
  readonly #opts: AcceptWorkerPoolOptions;
  readonly #slots: Slot[];
  #nextId = 1;
  #flushScheduled = false;
  #closing = false;
  #idleWaiters: Array<() => void> = [];
  #messages = 0;
  #batches = 0;
  #restarts = 0;
  #inline = 0;

  constructor(options: AcceptWorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`AcceptWorkerPool size ${options.size}: at least 1`);
    this.#opts = options;
    this.#slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      worker: undefined,
      started: false,
      startFailures: 0,
      inline: false,
      tables: new Map(),
      outbox: [],
      inflight: new Map(),
    }));
    for (const slot of this.#slots) this.#spawn(slot);
  }

  get size(): number {
    return this.#slots.length;
  }

  get stats(): AcceptWorkerPoolStats {
    return { messages: this.#messages, batches: this.#batches, restarts: this.#restarts, inline: this.#inline };
  }

  /** acceptReadings(ctx, deviceId, topic, payload) on the station's worker. Rejects only when the pool is closed. */
  accept(deviceId: string, topic: string, payload: Buffer): Promise<AcceptedMessage> {
    return new Promise<AcceptedMessage>((resolve, reject) => this.acceptWith(deviceId, topic, payload, (err, result) => (err ? reject(err) : resolve(result!))));
  }

  /**
   * `accept` by callback, for the publish path: no promise per message. `done` is called once, in
   * the order a station's messages were handed in, from the batch's answer (or at once, when this
   * station's messages are done on the main thread).
   */
  acceptWith(deviceId: string, topic: string, payload: Buffer, done: AcceptDone): void {
    if (this.#closing) return done(new IngestError('INGEST_ERR_ACCEPT_CLOSED'));
    const station = this.#opts.station(deviceId);
    const against = station ? this.#opts.metricsFor(station) : undefined;
    const slot = this.#slots[slotOf(deviceId, this.#slots.length)]!;
    const item: Item = { deviceId, topic, payload, station, against, done };
    if (slot.inline) {
      this.#runInline([item]);
      return;
    }
    slot.outbox.push(item);
    this.#scheduleFlush();
  }

  /** Fault tests: worker `index` exits at once, as if it had crashed, with whatever it holds. */
  crashWorker(index: number): void {
    const message: ToAcceptWorker = { type: 'crash' };
    this.#slots[index]?.worker?.postMessage(message);
  }

  /** Answers what was handed in (up to CLOSE_WAIT_MS), then ends the workers; anything left is refused (no PUBACK). */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#flush();
    this.#closing = true;
    if (!this.#idle()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    const closed = new IngestError('INGEST_ERR_ACCEPT_CLOSED');
    await Promise.all(
      this.#slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = undefined;
        for (const batch of slot.inflight.values()) for (const item of batch.items) this.#answer(item, closed);
        slot.inflight.clear();
        if (worker) await worker.terminate();
      }),
    );
  }

  #idle(): boolean {
    return this.#slots.every((s) => s.inflight.size === 0 && s.outbox.length === 0);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After this I/O phase: every publish parsed from the sockets read in it joins one batch per worker.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    for (const slot of this.#slots) {
      if (slot.outbox.length === 0 || !slot.worker) continue;
      const items = slot.outbox;
      slot.outbox = [];
      this.#post(slot, { items, attempts: 0 });
    }
  }

  #post(slot: Slot, batch: Batch): void {
    const worker = slot.worker!;
    const id = this.#nextId++;
    const stations: StationEntry[] = [];
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i]!;
      const seen = slot.tables.get(item.deviceId);
      if (item.station ? seen?.station !== item.station || seen.against !== item.against : seen !== undefined) {
        stations.push({ at: i, deviceId: item.deviceId, station: item.station, against: item.station ? item.against : undefined });
        if (item.station) slot.tables.set(item.deviceId, { station: item.station, against: item.against });
        else slot.tables.delete(item.deviceId);
      }
    }
    // A fresh ArrayBuffer of its own (never Buffer's shared pool): it is transferred, not copied.
    const payloads = encodeRequest(batch.items);
    slot.inflight.set(id, batch);
    this.#batches++;
    const message: ToAcceptWorker = { type: 'batch', id, stations, payloads } satisfies AcceptBatchMessage;
    worker.postMessage(message, [payloads]);
  }

  #spawn(slot: Slot): void {
    const workerData: AcceptWorkerData = { maxFutureSkewMs: this.#opts.maxFutureSkewMs, maxAgeMs: this.#opts.maxAgeMs };
    const worker = new Worker(WORKER_URL, { workerData, name: `shanshui-accept-${slot.index}` });
    slot.worker = worker;
    slot.started = false;
    slot.tables = new Map();
    worker.on('message', (message: FromAcceptWorker) => this.#onMessage(slot, worker, message));
    worker.on('error', (err) => this.#opts.logger.error({ err, worker: slot.index }, 'accept worker failed'));
    worker.on('exit', (code) => this.#onExit(slot, worker, code));
  }

  #onMessage(slot: Slot, worker: Worker, message: FromAcceptWorker): void {
    if (slot.worker !== worker) return;
    if (message.type === 'ready') {
      slot.started = true;
      slot.startFailures = 0;
      return;
    }
    const batch = slot.inflight.get(message.id);
    if (!batch) return;
    slot.inflight.delete(message.id);
    this.#messages += batch.items.length;
    const results = decodeResults(message.results, batch.items);
    for (let i = 0; i < batch.items.length; i++) this.#answer(batch.items[i]!, null, results[i]!);
    if (this.#closing && this.#idle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const unanswered = [...slot.inflight.values()];
    slot.inflight = new Map();
    if (this.#closing) {
      const closed = new IngestError('INGEST_ERR_ACCEPT_CLOSED');
      for (const batch of unanswered) for (const item of batch.items) this.#answer(item, closed);
      if (this.#idle()) for (const w of this.#idleWaiters.splice(0)) w();
      return;
    }
    if (!slot.started) slot.startFailures++;
    for (const batch of unanswered) batch.attempts++;
    const messages = unanswered.reduce((n, b) => n + b.items.length, 0);
    if (slot.startFailures >= MAX_START_FAILURES) {
      // Threads do not start here (a broken install, no memory): this slot's stations go on inline.
      this.#opts.logger.error({ worker: slot.index, code, messages }, 'accept worker does not start; its stations are accepted on the main thread');
      slot.inline = true;
      const rest = slot.outbox;
      slot.outbox = [];
      this.#runInline([...unanswered.flatMap((b) => b.items), ...rest]);
      return;
    }
    this.#opts.logger.warn({ worker: slot.index, code, messages }, 'accept worker died; restarting it and redoing its unanswered messages');
    this.#restarts++;
    // Oldest first: the first batch has seen the most deaths. Done here, in order, before anything after it.
    const first = unanswered[0];
    const inline = first !== undefined && first.attempts >= MAX_ATTEMPTS;
    if (inline) this.#runInline(unanswered.flatMap((b) => b.items));
    this.#spawn(slot);
    if (!inline) for (const batch of unanswered) this.#post(slot, batch);
    if (slot.outbox.length > 0) this.#scheduleFlush();
  }

  /** One message's answer. What the caller does with it runs here, synchronously: a throw there must not cost the batch's other messages theirs. */
  #answer(item: Item, err: Error | null, result?: AcceptedMessage): void {
    try {
      item.done(err, result);
    } catch (thrown) {
      this.#opts.logger.error({ err: thrown, deviceId: item.deviceId }, 'accept: the caller of a message threw on its answer');
    }
  }

  #runInline(items: readonly Item[]): void {
    for (const item of items) {
      const ctx = {
        station: () => item.station,
        metricsFor: (station: Station) => item.against ?? station.domain,
        nowMs: () => Date.now(),
        maxFutureSkewMs: this.#opts.maxFutureSkewMs,
        maxAgeMs: this.#opts.maxAgeMs,
      };
      this.#inline++;
      this.#answer(item, null, acceptReadings(ctx, item.deviceId, item.topic, item.payload));
    }
  }
}
