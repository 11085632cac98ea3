/**
 * Side writes into the spool — alert points, station_info, data-quality corrections — that
 * nobody waits for. A plain `append().catch(warn)` loses them when the spool is full; this
 * keeps them in a bounded in-memory queue instead and appends them, in order, once the spool
 * takes records again (retried every `retryIntervalMs`). Past `maxQueuedBytes` the oldest are
 * dropped, loudly. What is queued when the process stops is lost (it never was durable).
 */
import type { Logger } from 'pino';
import type { Spool } from './spool.ts';

/** Where side writes go: never throws, never makes the caller wait. */
export interface PointSink {
  /** Queues InfluxDB line protocol for the spool. */
  write(lines: string): void;
}

export interface RetryingAppenderOptions {
  /** Bound of the in-memory queue, bytes. Default 16 MiB. */
  readonly maxQueuedBytes: number;
  /** Pause between retries while the spool refuses, ms. Default 1000. */
  readonly retryIntervalMs: number;
}

const MAX_BATCH_BYTES = 1024 * 1024;

export const RETRYING_APPENDER_DEFAULTS: RetryingAppenderOptions = { maxQueuedBytes: 16 * 1024 * 1024, retryIntervalMs: 1000 };

export class RetryingAppender implements PointSink {
  readonly #spool: Pick<Spool, 'append'>;
  readonly #logger: Logger;
  readonly #o: RetryingAppenderOptions;
  readonly #queue: Buffer[] = [];
  #queuedBytes = 0;
  #dropped = 0;
  #pumping = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(spool: Pick<Spool, 'append'>, logger: Logger, options: Partial<RetryingAppenderOptions> = {}) {
    this.#spool = spool;
    this.#logger = logger;
    this.#o = { ...RETRYING_APPENDER_DEFAULTS, ...options };
  }

  /** Records waiting for the spool. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Records dropped because the queue was over its bound. */
  get dropped(): number {
    return this.#dropped;
  }

  write(lines: string): void {
    if (this.#closed || lines === '') return;
    const record = Buffer.from(lines);
    this.#queue.push(record);
    this.#queuedBytes += record.length;
    while (this.#queuedBytes > this.#o.maxQueuedBytes && this.#queue.length > 1) {
      this.#queuedBytes -= this.#queue.shift()!.length;
      this.#dropped++;
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) this.#logger.error({ dropped: this.#dropped }, 'side-write queue over its bound: oldest points dropped');
    }
    if (!this.#pumping && !this.#timer) this.#startPump();
  }

  /** Stops retrying; one last attempt for what is queued. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#pumping) await this.#pump();
    if (this.#queue.length > 0) this.#logger.warn({ queued: this.#queue.length }, 'side writes not spooled before stop');
  }

  /** A pump nobody awaits; it reports its own failures, this only guards against a bug in it. */
  #startPump(): void {
    this.#pump().catch((err: unknown) => this.#logger.error({ err }, 'side-write pump failed'));
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        // Everything queued goes as one record (up to about 1 MiB): one fsync, not one per point.
        const batch: Buffer[] = [];
        let bytes = 0;
        for (const r of this.#queue) {
          if (batch.length > 0 && bytes + r.length > MAX_BATCH_BYTES) break;
          batch.push(r);
          bytes += r.length + 1;
        }
        try {
          await this.#spool.append(Buffer.from(batch.map((r) => r.toString()).join('\n')));
        } catch (err) {
          if (this.#closed) return;
          this.#logger.warn({ err, queued: this.#queue.length }, 'spool refused side writes; will retry');
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#startPump();
          }, this.#o.retryIntervalMs);
          this.#timer.unref();
          return;
        }
        // Dropping from the front (over the bound) may have removed some meanwhile.
        for (const r of batch) {
          if (this.#queue[0] !== r) continue;
          this.#queue.shift();
          this.#queuedBytes -= r.length;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
