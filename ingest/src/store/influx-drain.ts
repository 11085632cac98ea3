/**
 * Drains the spool into InfluxDB: batches in order, one batch in flight, commit after success.
 * A batch goes out as `lanes` concurrent writes, its records split by station (a station's
 * records always share a lane), so InfluxDB parses on several cores while a station's readings
 * still land in spool order: its records of one batch are one write, and the next batch waits
 * for every lane. A lane that fails for now fails the batch: it is read again whole (the lanes
 * that did land are rewritten, which stores the same points).
 * 5xx, timeouts and connection errors are retried with capped exponential backoff and the
 * records stay in the spool meanwhile (that is the outage behaviour); a 4xx means InfluxDB
 * refused the points themselves, so that write's lines go to the dead-letter store with the answer
 * and the drain moves on. Dead letters the accept step spooled (dead-letter-record.ts) are
 * stored here, behind the spool: committed only once the store has them. The loop never throws.
 */
import type { Logger } from 'pino';
import { Backoff } from '@shanshui/models';
import type { Spool } from '../spool/spool.ts';
import type { InfluxWriter } from './influx-write-targets.ts';
import { InfluxWriteError } from './influx-http.ts';
import type { PlatformMetrics } from '../metrics.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';
import { parseDeadLetterRecord } from '../accept/dead-letter-record.ts';
import { z } from 'zod';
import { parseComponentOptions } from '../component-options.ts';

export const InfluxDrainOptionsSchema = z
  .object({
    /** Bytes of line protocol per write. Default 1 MiB. */
    batchBytes: z.number().int().min(1024).default(1024 * 1024),
    /** Concurrent writes a batch is split into, by station. Default 2. */
    lanes: z.number().int().min(1).max(16).default(2),
    /** Ceiling of the first retry delay (models' `Backoff`), ms. Default 200. */
    retryMinMs: z.number().int().min(1).default(200),
    /** Longest retry delay, ms. Default 5000. */
    retryMaxMs: z.number().int().min(1).default(5000),
  })
  .strict();
export type InfluxDrainOptions = z.input<typeof InfluxDrainOptionsSchema>;

export class InfluxDrain {
  readonly #spool: Spool;
  readonly #influx: InfluxWriter;
  readonly #log: Logger;
  readonly #metrics: PlatformMetrics;
  readonly #deadLetters: (letters: DeadLetterInput[]) => Promise<void>;
  readonly #batchBytes: number;
  readonly #lanes: number;
  readonly #backoff: Backoff;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #up = true;

  constructor(
    spool: Spool,
    influx: InfluxWriter,
    deps: { logger: Logger; metrics: PlatformMetrics; deadLetters: (letters: DeadLetterInput[]) => Promise<void> },
    options: InfluxDrainOptions = {},
  ) {
    this.#spool = spool;
    this.#influx = influx;
    this.#log = deps.logger.child({ component: 'influx-drain' });
    this.#metrics = deps.metrics;
    this.#deadLetters = deps.deadLetters;
    const o = parseComponentOptions('InfluxDrain', InfluxDrainOptionsSchema, options);
    this.#batchBytes = o.batchBytes;
    this.#lanes = o.lanes;
    this.#backoff = new Backoff({ minMs: o.retryMinMs, maxMs: o.retryMaxMs });
  }

  get influxUp(): boolean {
    return this.#up;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#metrics.influxUp.set(1);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        const batch = await this.#spool.read(this.#batchBytes);
        if (!batch) {
          await Promise.race([this.#spool.waitForData(), new Promise<void>((r) => (this.#wake = r))]);
          continue;
        }
        const letters: DeadLetterInput[] = [];
        const lanes: Buffer[][] = Array.from({ length: this.#lanes }, () => []);
        for (const r of batch.records) {
          const letter = parseDeadLetterRecord(r);
          if (letter) letters.push(letter);
          else lanes[this.#lanes === 1 ? 0 : stationLane(r, this.#lanes)]!.push(r);
        }
        const started = performance.now();
        const results = await Promise.allSettled(lanes.filter((l) => l.length > 0).map((l) => this.#writeLane(joinRecords(l))));
        // A lane that failed for now fails the batch (retried whole below); refused lanes are dead letters.
        const failed = results.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
        for (const r of results) if (r.status === 'fulfilled' && r.value) letters.push(r.value);
        this.#metrics.writeLatency.observe((performance.now() - started) / 1000);
        if (!this.#up) this.#log.info('InfluxDB writes succeed again; draining the spool');
        this.#up = true;
        this.#metrics.influxUp.set(1);
        this.#backoff.reset();
        if (letters.length > 0) {
          try {
            await this.#deadLetters(letters);
          } catch (err) {
            // The batch stays in the spool and is read again (its points are idempotent).
            throw new DeadLettersNotStored(err);
          }
        }
        await this.#spool.commit(batch.end);
      } catch (err) {
        if (err instanceof DeadLettersNotStored) {
          this.#spool.rewind();
          this.#log.warn({ err: err.cause }, 'dead letters not stored; their batch waits in the spool');
          await this.#sleep(this.#backoff.next());
          continue;
        }
        this.#spool.rewind();
        this.#metrics.influxWriteErrors.inc({ kind: 'retry' });
        if (this.#up) this.#log.warn({ err }, 'InfluxDB write failed; readings wait in the spool');
        this.#up = false;
        this.#metrics.influxUp.set(0);
        await this.#sleep(this.#backoff.next());
      }
    }
  }

  /** One lane's write: undefined when stored, the dead letter when InfluxDB refused its points; throws to retry the batch. */
  async #writeLane(body: Buffer): Promise<DeadLetterInput | undefined> {
    const lines = countLines(body);
    try {
      await this.#influx.write(body);
      this.#metrics.pointsWritten.inc(lines);
      return undefined;
    } catch (err) {
      if (err instanceof InfluxWriteError && err.status === 404) {
        // Database dropped or not created yet: create it, then retry the same batch.
        await this.#influx.ensureDatabase().catch(() => undefined);
        throw err;
      }
      if (!(err instanceof InfluxWriteError && err.permanent)) throw err;
      this.#metrics.influxWriteErrors.inc({ kind: 'refused' });
      this.#log.error({ status: err.status, body: err.body.slice(0, 300) }, 'InfluxDB refused points; the write is kept as a dead letter');
      return {
        deviceId: '(storage)',
        topic: '(influx-write)',
        code: 'INGEST_ERR_STORAGE_REJECTED',
        reason: `InfluxDB refused the points: ${err.status} ${err.body.slice(0, 1000)}`,
        payload: body,
        encoding: 'line-protocol',
      };
    }
  }
}

class DeadLettersNotStored extends Error {
  constructor(cause: unknown) {
    super('dead letters not stored', { cause });
  }
}

/** The records as one body, newline-separated: one copy for the whole batch, written as bytes (never decoded to a string). */
function joinRecords(records: readonly Buffer[]): Buffer {
  let total = Math.max(0, records.length - 1);
  for (const r of records) total += r.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < records.length; i++) {
    if (i > 0) out[off++] = 0x0a;
    off += records[i]!.copy(out, off);
  }
  return out;
}

function countLines(body: Buffer): number {
  let n = 1;
  for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) n++;
  return n;
}

const STATION_TAG = Buffer.from(',station=');

/**
 * The lane of a record: FNV-1a of its `station` tag's value (readingToPoint's tags; a tag value
 * holding `,station=` would be written `\,station\=`, so the first match is the tag). A record
 * without one (none is written) goes to lane 0.
 */
function stationLane(record: Buffer, lanes: number): number {
  const at = record.indexOf(STATION_TAG);
  if (at === -1) return 0;
  let h = 0x811c9dc5;
  for (let i = at + STATION_TAG.length; i < record.length; i++) {
    const c = record[i]!;
    if (c === 0x2c || c === 0x20 || c === 0x0a) break;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return (h >>> 0) % lanes;
}
