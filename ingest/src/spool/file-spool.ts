/**
 * Durable spool on disk: numbered segment files of framed records
 * (`u32 length | u32 crc32 | bytes`), a `cursor.json` with the drain's committed position.
 *
 * Appends are group-committed: every append made while a write+fdatasync is in flight goes
 * into the next one, so one fsync acknowledges many publishes. A torn tail left by a crash
 * (kill -9 mid-write) fails its length or CRC check at open and is cut off; it was never
 * acknowledged.
 */
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { IngestError } from '../errors.ts';
import type { Spool, SpoolBatch, SpoolDepth, SpoolPosition } from './spool.ts';

export const FileSpoolOptionsSchema = z.object({
  /** Folder of the segment files. */
  dir: z.string().min(1),
  /** Bound on unconsumed bytes; appends past it are refused. Default 1 GiB. */
  maxBytes: z.number().int().positive().default(1024 ** 3),
  /** Size at which a new segment file is started. Default 64 MiB. */
  segmentBytes: z.number().int().positive().default(64 * 1024 ** 2),
});
export type FileSpoolOptions = z.input<typeof FileSpoolOptionsSchema>;

const HEADER_BYTES = 8;
/** Least time between two cursor writes: a trickle of commits (one per message at low rates) must not mean four file operations each. */
const CURSOR_INTERVAL_MS = 100;
const SEGMENT_RE = /^(\d{12})\.seg$/;

interface PendingAppend {
  readonly framed: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

function segmentName(n: number): string {
  return `${String(n).padStart(12, '0')}.seg`;
}

/** A text record is encoded straight into the frame (no intermediate Buffer of its own). */
function frame(record: Buffer | string): Buffer {
  const length = typeof record === 'string' ? Buffer.byteLength(record) : record.length;
  const out = Buffer.allocUnsafe(HEADER_BYTES + length);
  out.writeUInt32LE(length, 0);
  if (typeof record === 'string') out.write(record, HEADER_BYTES, 'utf8');
  else record.copy(out, HEADER_BYTES);
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES)), 4);
  return out;
}

/** Parses whole, valid records from `buf`; stops at the first incomplete or corrupt one. */
function parseRecords(buf: Buffer): { records: Buffer[]; consumed: number; corrupt: boolean; nextLength?: number } {
  const records: Buffer[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (off + HEADER_BYTES + len > buf.length) return { records, consumed: off, corrupt: false, nextLength: len };
    const body = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) return { records, consumed: off, corrupt: true };
    records.push(body);
    off += HEADER_BYTES + len;
  }
  return { records, consumed: off, corrupt: false };
}

export class FileSpool implements Spool {
  readonly #opts: z.output<typeof FileSpoolOptionsSchema>;
  /** Segment number → durable size in bytes. */
  readonly #sizes = new Map<number, number>();
  #writeSeg = 0;
  #writeFh!: FileHandle;
  #readFh: { seg: number; fh: FileHandle } | undefined;
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  /** Bytes of the batch being written and fsynced: neither pending nor durable yet, but already promised. */
  #writingBytes = 0;
  #flushScheduled = false;
  #flushing: Promise<void> | undefined;
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
      const parsed = parseRecords(buf);
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
      let off = 0;
      for (const r of parsed.records) {
        if (seg > this.#committed.segment || off >= this.#committed.offset) this.#records++;
        off += HEADER_BYTES + r.length;
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
    this.#writeFh = await open(writePath, existed ? 'r+' : 'w');
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
    if (this.#closed) return Promise.reject(new IngestError('INGEST_ERR_SPOOL_CLOSED'));
    const framed = frame(record);
    const used = this.#totalBytes + this.#writingBytes + this.#pendingBytes;
    if (used + framed.length > this.#opts.maxBytes) {
      return Promise.reject(new IngestError('INGEST_ERR_SPOOL_FULL', `${used} of ${this.#opts.maxBytes} bytes used`));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ framed, resolve, reject });
      this.#pendingBytes += framed.length;
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing) return;
    this.#flushScheduled = true;
    // Wait for the rest of this I/O phase so that every publish parsed from the same socket
    // reads joins one fsync.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flushing = this.#flushLoop().finally(() => {
        this.#flushing = undefined;
        if (this.#pending.length > 0) this.#scheduleFlush();
      });
    });
  }

  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const bytes = batch.reduce((n, p) => n + p.framed.length, 0);
      this.#pendingBytes -= bytes;
      this.#writingBytes += bytes;
      try {
        let size = this.#sizes.get(this.#writeSeg) ?? 0;
        if (size > 0 && size + bytes > this.#opts.segmentBytes) {
          await this.#rotate();
          size = 0;
        }
        const buf = Buffer.concat(batch.map((p) => p.framed), bytes);
        try {
          await this.#writeFh.write(buf, 0, buf.length, size);
          await this.#writeFh.datasync();
        } catch (err) {
          await this.#writeFh.truncate(size).catch(() => undefined);
          throw err;
        }
        this.#sizes.set(this.#writeSeg, size + bytes);
        this.#totalBytes += bytes;
        this.#records += batch.length;
      } catch (err) {
        this.#writingBytes -= bytes;
        for (const p of batch) p.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      this.#writingBytes -= bytes;
      for (const p of batch) p.resolve();
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  async #rotate(): Promise<void> {
    await this.#writeFh.close();
    this.#writeSeg++;
    this.#writeFh = await open(path.join(this.#opts.dir, segmentName(this.#writeSeg)), 'w');
    this.#sizes.set(this.#writeSeg, 0);
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
      let parsed: ReturnType<typeof parseRecords>;
      let buf: Buffer;
      for (;;) {
        buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, pos.offset);
        buf = buf.subarray(0, bytesRead);
        parsed = parseRecords(buf);
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
    while (this.#flushing || this.#flushScheduled) {
      await (this.#flushing ?? new Promise((r) => setImmediate(r)));
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
