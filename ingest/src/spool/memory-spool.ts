/** In-memory spool for tests and for deployments that accept losing the spool on a crash. */
import { IngestError } from '../errors.ts';
import type { AppendDone, Spool, SpoolBatch, SpoolDepth, SpoolPosition } from './spool.ts';

export class MemorySpool implements Spool {
  readonly #maxBytes: number;
  #records: Buffer[] = [];
  /** Absolute index of #records[0]. */
  #base = 0;
  #readIndex = 0;
  #bytes = 0;
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  async append(input: Buffer | string): Promise<void> {
    if (this.#closed) throw new IngestError('INGEST_ERR_SPOOL_CLOSED');
    const record = typeof input === 'string' ? Buffer.from(input) : input;
    if (this.#bytes + record.length > this.#maxBytes) throw new IngestError('INGEST_ERR_SPOOL_FULL', `${this.#bytes} of ${this.#maxBytes} bytes used`);
    this.#records.push(record);
    this.#bytes += record.length;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  appendWith(record: Buffer | string, done: AppendDone): void {
    this.append(record).then(
      () => done(),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }

  async read(maxBytes: number): Promise<SpoolBatch | undefined> {
    const start = this.#readIndex - this.#base;
    if (start >= this.#records.length) return undefined;
    const records: Buffer[] = [];
    let size = 0;
    for (let i = start; i < this.#records.length && (records.length === 0 || size + this.#records[i]!.length <= maxBytes); i++) {
      records.push(this.#records[i]!);
      size += this.#records[i]!.length;
    }
    this.#readIndex += records.length;
    return { records, end: { segment: 0, offset: this.#readIndex } };
  }

  async commit(position: SpoolPosition): Promise<void> {
    const drop = position.offset - this.#base;
    for (const r of this.#records.splice(0, drop)) this.#bytes -= r.length;
    this.#base = position.offset;
  }

  rewind(): void {
    this.#readIndex = this.#base;
  }

  waitForData(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  depth(): SpoolDepth {
    return { records: this.#records.length, bytes: this.#bytes };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
