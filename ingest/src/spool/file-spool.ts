/**
 * Durable spool on disk: numbered segment files of frames (spool-frames.ts), a `cursor.json`
 * with the drain's committed position.
 *
 * Appends are group-committed: every append made while a durable write (O_DSYNC, see
 * writeFlags) is in flight goes into the next one, so one write acknowledges many publishes. A group is framed once — one
 * header, one CRC — and its appends wait in one completion list (a callback each, no promise
 * of their own unless the caller asked for `append`'s). A torn tail left by a crash (kill -9
 * mid-write) fails its length or CRC check at open and is cut off, the whole group with it; it
 * was never acknowledged.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IngestError } from '../errors.ts';
import type { AppendDone, Spool, SpoolBatch, SpoolDepth, SpoolPosition } from './spool.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BODY, RECORD_HEADER_BYTES, encodeGroup, parseFrames } from './spool-frames.ts';

export const FileSpoolOptionsSchema = z.object({
  /** Folder of the segment files. */
  dir: z.string().min(1),
  /** Bound on unconsumed bytes; appends past it are refused. Default 1 GiB. */
  maxBytes: z.number().int().positive().default(1024 ** 3),
  /** Size at which a new segment file is started. Default 64 MiB. */
  segmentBytes: z.number().int().positive().default(64 * 1024 ** 2),
});
export type FileSpoolOptions = z.input<typeof FileSpoolOptionsSchema>;

const HEADER_BYTES = FRAME_HEADER_BYTES;
/** A group commit's appends go into frames of at most this body (a huge backlog is not one frame of gigabytes). */
const MAX_GROUP_BODY = Math.min(16 * 1024 ** 2, MAX_FRAME_BODY);
/** Least time between two cursor writes: a trickle of commits (one per message at low rates) must not mean four file operations each. */
const CURSOR_INTERVAL_MS = 100;
const SEGMENT_RE = /^(\d{12})\.seg$/;
/**
 * The segment being written is opened O_DSYNC: each write returns once its bytes are on disk,
 * as write + fdatasync would, but in one trip to the thread pool instead of two — a group
 * commit (and every PUBACK and warning waiting on it) is durable one turn of the event loop
 * sooner. `create`: a new segment (truncated), else an existing one opened for writing.
 */
function writeFlags(create: boolean): number {
  return constants.O_WRONLY | constants.O_DSYNC | (create ? constants.O_CREAT | constants.O_TRUNC : 0);
}

/** The appends of one frame-to-be: records, their byte lengths and completions, side by side. */
interface PendingGroup {
  readonly records: Array<Buffer | string>;
  readonly lengths: number[];
  readonly done: AppendDone[];
  /** Σ RECORD_HEADER_BYTES + length. */
  body: number;
}

/** One write on its way to disk: the groups it carries and where it goes. */
interface InFlightWrite {
  readonly groups: PendingGroup[];
  readonly bytes: number;
  readonly records: number;
  readonly offset: number;
  done: boolean;
  error: Error | undefined;
  settled: Promise<void>;
}

/** Bytes a group takes on disk. */
function groupBytes(g: PendingGroup): number {
  return FRAME_HEADER_BYTES + g.body;
}

function segmentName(n: number): string {
  return `${String(n).padStart(12, '0')}.seg`;
}

/** Calls every completion; one that throws does not keep the others from theirs. */
function complete(done: readonly AppendDone[], err?: Error): void {
  for (const d of done) {
    try {
      d(err);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

export class FileSpool implements Spool {
  readonly #opts: z.output<typeof FileSpoolOptionsSchema>;
  /** Segment number → durable size in bytes. */
  readonly #sizes = new Map<number, number>();
  #writeSeg = 0;
  #writeFh!: FileHandle;
  #readFh: { seg: number; fh: FileHandle } | undefined;
  /** Appends waiting for the next write+fsync, in frames-to-be. */
  #pending: PendingGroup[] = [];
  /** Bytes the pending groups will take on disk (their headers included): the bound counts them exactly. */
  #pendingBytes = 0;
  /** Bytes of the batch being written and fsynced: neither pending nor durable yet, but already promised. */
  #writingBytes = 0;
  #flushScheduled = false;
  /** Writes issued and not yet taken (#settle), in offset order — all in the segment being written. */
  #writes: InFlightWrite[] = [];
  /** Where the next write goes in that segment: its durable size plus the writes in flight. */
  #writeEnd = 0;
  /** A new segment being opened, or a failed write being cleaned up: nothing is written meanwhile. */
  #blocked: Promise<void> | undefined;
  #committed: SpoolPosition = { segment: 0, offset: 0 };
  #readPos: SpoolPosition = { segment: 0, offset: 0 };
  /** Batches read and not yet committed: their end and record count. */
  #inflight: Array<{ end: SpoolPosition; count: number }> = [];
  #totalBytes = 0;
  #records = 0;
  #waiters: Array<() => void> = [];
  #cursorWrite: Promise<void> | undefined;
  #cursorDirty = false;
  /** A cursor write waiting for CURSOR_INTERVAL_MS since the last one to pass. */
  #cursorTimer: NodeJS.Timeout | undefined;
  #cursorWrittenAt = 0;
  #closed = false;
  /** Records cut off at open (torn tail) or skipped as corrupt. */
  corruptRecords = 0;

  private constructor(opts: z.output<typeof FileSpoolOptionsSchema>) {
    this.#opts = opts;
  }

  static async open(options: FileSpoolOptions): Promise<FileSpool> {
    const spool = new FileSpool(FileSpoolOptionsSchema.parse(options));
    await spool.#recover();
    return spool;
  }

  async #recover(): Promise<void> {
    const dir = this.#opts.dir;
    await mkdir(dir, { recursive: true });
    const segs = (await readdir(dir))
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    try {
      const cursor = z.object({ segment: z.number().int().min(0), offset: z.number().int().min(0) }).parse(JSON.parse(await readFile(path.join(dir, 'cursor.json'), 'utf8')));
      this.#committed = cursor;
    } catch {
      this.#committed = { segment: segs[0] ?? 0, offset: 0 };
    }
    for (const seg of segs) {
      if (seg < this.#committed.segment) {
        await rm(path.join(dir, segmentName(seg)), { force: true });
        continue;
      }
      const buf = await readFile(path.join(dir, segmentName(seg)));
      const starts: number[] = [];
      const counts: number[] = [];
      const parsed = parseFrames(buf, (start, n) => {
        starts.push(start);
        counts.push(n);
      });
      if (parsed.consumed < buf.length) {
        // Torn or corrupt tail: nothing after it was ever acknowledged (appends are fsynced in order).
        this.corruptRecords++;
        const fh = await open(path.join(dir, segmentName(seg)), 'r+');
        await fh.truncate(parsed.consumed);
        await fh.sync();
        await fh.close();
      }
      this.#sizes.set(seg, parsed.consumed);
      this.#totalBytes += parsed.consumed;
      for (let i = 0; i < starts.length; i++) {
        if (seg > this.#committed.segment || starts[i]! >= this.#committed.offset) this.#records += counts[i]!;
      }
    }
    if (!this.#sizes.has(this.#committed.segment)) {
      const next = [...this.#sizes.keys()].find((s) => s > this.#committed.segment);
      this.#committed = { segment: next ?? this.#committed.segment, offset: 0 };
    }
    this.#totalBytes -= Math.min(this.#committed.offset, this.#sizes.get(this.#committed.segment) ?? 0);
    this.#readPos = this.#committed;
    const last = Math.max(this.#committed.segment, ...this.#sizes.keys());
    this.#writeSeg = last;
    const writePath = path.join(dir, segmentName(last));
    const existed = this.#sizes.has(last);
    this.#writeFh = await open(writePath, writeFlags(!existed), 0o644);
    this.#writeEnd = this.#sizes.get(last) ?? 0;
    if (!existed) {
      this.#sizes.set(last, 0);
      await this.#syncDir();
    }
  }

  async #syncDir(): Promise<void> {
    const fh = await open(this.#opts.dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  append(record: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.appendWith(record, (err) => (err ? reject(err) : resolve())));
  }

  appendWith(record: Buffer | string, done: AppendDone): void {
    if (this.#closed) {
      queueMicrotask(() => done(new IngestError('INGEST_ERR_SPOOL_CLOSED')));
      return;
    }
    const length = typeof record === 'string' ? Buffer.byteLength(record) : record.length;
    const size = RECORD_HEADER_BYTES + length;
    let group = this.#pending[this.#pending.length - 1];
    // A new frame when there is none yet, or when this record would take the open one past its bound.
    const opens = group === undefined || (group.body > 0 && group.body + size > MAX_GROUP_BODY);
    const adds = (opens ? FRAME_HEADER_BYTES : 0) + size;
    const used = this.#totalBytes + this.#writingBytes + this.#pendingBytes;
    if (used + adds > this.#opts.maxBytes || size > MAX_FRAME_BODY) {
      queueMicrotask(() => done(new IngestError('INGEST_ERR_SPOOL_FULL', `${used} of ${this.#opts.maxBytes} bytes used`)));
      return;
    }
    if (opens || group === undefined) {
      group = { records: [], lengths: [], done: [], body: 0 };
      this.#pending.push(group);
    }
    group.records.push(record);
    group.lengths.push(length);
    group.done.push(done);
    group.body += size;
    this.#pendingBytes += adds;
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#blocked) return;
    this.#flushScheduled = true;
    // Wait for the rest of this I/O phase so that every publish parsed from the same socket
    // reads joins one write.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#issue();
    });
  }

  /**
   * Writes what is pending now, at the end of what was written before — without waiting for
   * the writes still in flight (each is durable when it returns, O_DSYNC): appends made while a
   * write is on its way go out at the next turn, not a turn after it returns. Completions are
   * taken in offset order (#settle), so an append is acknowledged only once every byte before
   * it is durable too. A new segment waits for the writes in flight, then is opened.
   */
  #issue(): void {
    if (this.#pending.length === 0 || this.#blocked) return;
    let bytes = 0;
    for (const g of this.#pending) bytes += groupBytes(g);
    if (this.#writeEnd > 0 && this.#writeEnd + bytes > this.#opts.segmentBytes) {
      this.#block(async () => {
        await this.#failWrites();
        if (this.#writeEnd === 0 || this.#writeEnd + this.#pendingBytes <= this.#opts.segmentBytes) return;
        try {
          await this.#rotate();
        } catch (err) {
          // As a failed write: the appends that would have opened the new segment are refused.
          const groups = this.#pending.splice(0);
          for (const g of groups) this.#pendingBytes -= groupBytes(g);
          const error = err instanceof Error ? err : new Error(String(err));
          for (const g of groups) complete(g.done, error);
        }
      });
      return;
    }
    const groups = this.#pending.splice(0);
    let records = 0;
    for (const g of groups) records += g.records.length;
    this.#pendingBytes -= bytes;
    this.#writingBytes += bytes;
    const offset = this.#writeEnd;
    this.#writeEnd += bytes;
    const frames = groups.map((g) => encodeGroup(g.records, g.lengths, g.body));
    // Durable when the write returns (O_DSYNC, writeFlags).
    const io = frames.length === 1 ? this.#writeFh.write(frames[0]!, 0, bytes, offset) : this.#writeFh.writev(frames, offset);
    const returned = (w: InFlightWrite, err?: unknown): void => {
      w.done = true;
      if (err !== undefined) w.error = err instanceof Error ? err : new Error(String(err));
      this.#settle();
    };
    const w: InFlightWrite = {
      groups,
      bytes,
      records,
      offset,
      done: false,
      error: undefined,
      // A short write (the disk or the file size limit took only part of it) is a failed one:
      // the frame is torn, and nothing in it may be acknowledged.
      settled: io.then(
        ({ bytesWritten }) => returned(w, bytesWritten === bytes ? undefined : new IngestError('INGEST_ERR_SPOOL_WRITE', `short write: ${bytesWritten} of ${bytes} bytes`)),
        (err: unknown) => returned(w, err ?? new Error('write failed')),
      ),
    };
    this.#writes.push(w);
  }

  /** Takes the writes that have returned, in offset order, up to the first still in flight. */
  #settle(): void {
    let woke = false;
    while (this.#writes.length > 0 && this.#writes[0]!.done) {
      const w = this.#writes[0]!;
      if (w.error) {
        this.#block(() => this.#failWrites());
        break;
      }
      this.#writes.shift();
      this.#sizes.set(this.#writeSeg, w.offset + w.bytes);
      this.#totalBytes += w.bytes;
      this.#records += w.records;
      this.#writingBytes -= w.bytes;
      for (const g of w.groups) complete(g.done);
      woke = true;
    }
    if (woke) for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once every write issued so far has returned. */
  async #drainWrites(): Promise<void> {
    while (this.#writes.some((w) => !w.done)) await Promise.all(this.#writes.map((w) => w.settled));
  }

  /**
   * After a write failed: once every write in flight has returned, it and every one after it
   * fail (their bytes follow a hole), and the segment is cut back to where it began. Also a
   * step before a new segment is opened (nothing in flight then). Nothing to do when no write
   * failed.
   */
  async #failWrites(): Promise<void> {
    await this.#drainWrites();
    const failed = this.#writes[0]?.error;
    if (!failed) return;
    const all = this.#writes.splice(0);
    await this.#writeFh.truncate(all[0]!.offset).catch(() => undefined);
    this.#writeEnd = all[0]!.offset;
    for (const x of all) {
      this.#writingBytes -= x.bytes;
      for (const g of x.groups) complete(g.done, failed);
    }
  }

  /** Runs `fn` after those already waiting, with no write issued until the last is done; then writes what waits. */
  #block(fn: () => Promise<void>): void {
    const run = (this.#blocked ?? Promise.resolve()).then(fn).catch(() => undefined);
    const mine: Promise<void> = run.finally(() => {
      if (this.#blocked !== mine) return;
      this.#blocked = undefined;
      if (this.#pending.length > 0) this.#scheduleFlush();
    });
    this.#blocked = mine;
  }

  async #rotate(): Promise<void> {
    await this.#writeFh.close();
    this.#writeSeg++;
    this.#writeFh = await open(path.join(this.#opts.dir, segmentName(this.#writeSeg)), writeFlags(true), 0o644);
    this.#sizes.set(this.#writeSeg, 0);
    this.#writeEnd = 0;
    await this.#syncDir();
  }

  async read(maxBytes: number): Promise<SpoolBatch | undefined> {
    for (;;) {
      const pos = this.#readPos;
      const end = this.#sizes.get(pos.segment) ?? 0;
      if (pos.offset >= end) {
        if (pos.segment >= this.#writeSeg) return undefined;
        const next = [...this.#sizes.keys()].filter((s) => s > pos.segment).sort((a, b) => a - b)[0];
        if (next === undefined) return undefined;
        this.#readPos = { segment: next, offset: 0 };
        continue;
      }
      const fh = await this.#readHandle(pos.segment);
      let want = Math.min(Math.max(maxBytes, HEADER_BYTES), end - pos.offset);
      let parsed: ReturnType<typeof parseFrames>;
      let buf: Buffer;
      for (;;) {
        buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos.offset);
        buf = buf.subarray(0, bytesRead);
        parsed = parseFrames(buf);
        if (parsed.records.length > 0 || parsed.corrupt || parsed.nextLength === undefined) break;
        want = Math.min(HEADER_BYTES + parsed.nextLength, end - pos.offset);
        if (want <= buf.length) break;
      }
      if (parsed.records.length === 0) {
        // Corrupt bytes inside a durable segment (disk damage): skip the rest of it, loudly.
        this.corruptRecords++;
        this.#readPos = { segment: pos.segment, offset: end };
        continue;
      }
      // Views into this read's own buffer (allocated per read, never reused): no copy per record.
      const records = parsed.records;
      this.#readPos = { segment: pos.segment, offset: pos.offset + parsed.consumed };
      this.#inflight.push({ end: this.#readPos, count: records.length });
      return { records, end: this.#readPos };
    }
  }

  async #readHandle(seg: number): Promise<FileHandle> {
    if (this.#readFh?.seg === seg) return this.#readFh.fh;
    await this.#readFh?.fh.close();
    const fh = await open(path.join(this.#opts.dir, segmentName(seg)), 'r');
    this.#readFh = { seg, fh };
    return fh;
  }

  async commit(position: SpoolPosition): Promise<void> {
    const before = this.#committed;
    while (this.#inflight.length > 0 && !isAfter(this.#inflight[0]!.end, position)) this.#records -= this.#inflight.shift()!.count;
    // Bytes freed: the rest of every segment passed, plus the part of the current one.
    let freed = 0;
    for (const [seg, size] of this.#sizes) {
      if (seg < before.segment || seg > position.segment) continue;
      const from = seg === before.segment ? before.offset : 0;
      const to = seg === position.segment ? position.offset : size;
      freed += Math.max(0, to - from);
    }
    this.#totalBytes -= freed;
    this.#committed = position;
    for (const seg of [...this.#sizes.keys()]) {
      if (seg < position.segment && seg !== this.#writeSeg) {
        this.#sizes.delete(seg);
        if (this.#readFh?.seg === seg) {
          await this.#readFh.fh.close();
          this.#readFh = undefined;
        }
        await rm(path.join(this.#opts.dir, segmentName(seg)), { force: true });
      }
    }
    // Not awaited: the drain's next write need not wait for four file operations (close() waits for it).
    this.#persistCursor();
  }

  /**
   * Coalesced and throttled: at most one cursor write in flight, at most one every
   * CURSOR_INTERVAL_MS, each with the latest position. Not fsynced and not waited for on
   * purpose: a stale cursor only re-sends idempotent points. A failed write is retried with
   * the next commit (and at close, which writes the final position).
   */
  #persistCursor(): void {
    if (this.#cursorWrite || this.#cursorTimer) {
      this.#cursorDirty = true;
      return;
    }
    const wait = this.#cursorWrittenAt + CURSOR_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.#cursorDirty = true; // so that close() writes it if the timer has not fired by then
      this.#cursorTimer = setTimeout(() => {
        this.#cursorTimer = undefined;
        this.#persistCursor();
      }, wait);
      this.#cursorTimer.unref();
      return;
    }
    this.#cursorDirty = false;
    this.#cursorWrittenAt = Date.now();
    this.#cursorWrite = this.#writeCursor()
      .catch(() => {
        this.#cursorDirty = true;
      })
      .finally(() => {
        this.#cursorWrite = undefined;
        if (this.#cursorDirty && !this.#closed) this.#persistCursor();
      });
  }

  async #writeCursor(): Promise<void> {
    const tmp = path.join(this.#opts.dir, 'cursor.json.tmp');
    await writeFile(tmp, JSON.stringify(this.#committed));
    await rename(tmp, path.join(this.#opts.dir, 'cursor.json'));
  }

  rewind(): void {
    this.#readPos = this.#committed;
    this.#inflight = [];
  }

  waitForData(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  depth(): SpoolDepth {
    return { records: this.#records, bytes: this.#totalBytes };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Everything accepted before the close is written (or refused) first.
    for (;;) {
      if (this.#blocked) await this.#blocked;
      else if (this.#writes.some((w) => !w.done)) await this.#drainWrites();
      else if (this.#flushScheduled) await new Promise((r) => setImmediate(r));
      else break;
    }
    for (const wake of this.#waiters.splice(0)) wake();
    // The final position, whatever was pending or throttled.
    clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    await this.#cursorWrite;
    if (this.#cursorDirty) await this.#writeCursor();
    await this.#readFh?.fh.close();
    await this.#writeFh.close();
  }
}

function isAfter(a: SpoolPosition, b: SpoolPosition): boolean {
  return a.segment > b.segment || (a.segment === b.segment && a.offset > b.offset);
}
