/**
 * The durable spool between the broker and InfluxDB. `append` resolves only once the record
 * is on disk (fsync), which is when the broker may PUBACK. The drain reads records in order
 * and commits its position after InfluxDB has stored them; what is not committed is read
 * again after a restart (InfluxDB points are idempotent, so that is harmless).
 */

export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

export interface SpoolBatch {
  readonly records: readonly Buffer[];
  /** Position after the last record of the batch; pass it to `commit`. */
  readonly end: SpoolPosition;
}

export interface SpoolDepth {
  readonly records: number;
  readonly bytes: number;
}

/** Told once an append is durable (no error), or why it is not (INGEST_ERR_SPOOL_FULL, …). */
export type AppendDone = (err?: Error) => void;

export interface Spool {
  /** Resolves once `record` (bytes, or text stored as UTF-8) is durable; rejects with INGEST_ERR_SPOOL_FULL when over the bound. */
  append(record: Buffer | string): Promise<void>;
  /** `append` without a promise: `done` is called once, always asynchronously, when the record is durable or refused. */
  appendWith(record: Buffer | string, done: AppendDone): void;
  /** The next durable, uncommitted records from the read position (up to about `maxBytes`), or undefined. */
  read(maxBytes: number): Promise<SpoolBatch | undefined>;
  /** Frees everything before `position`. */
  commit(position: SpoolPosition): Promise<void>;
  /** Resolves when records are appended after this call (or the spool closes). */
  waitForData(): Promise<void>;
  /** Rewinds the read position to the last commit (after a failed write, to retry). */
  rewind(): void;
  depth(): SpoolDepth;
  close(): Promise<void>;
}
