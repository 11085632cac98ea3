/**
 * The durable store-and-forward buffer: every reading (and every event the agent reports) is
 * committed here — SQLite in WAL mode with `synchronous=FULL`, so a committed row survives
 * kill -9 and power loss — before anything is sent, and leaves only when the broker has
 * PUBACKed the message that carried it (`ack`).
 *
 * Two priorities: `urgent` (events, alarms) drains before `routine` readings; within a
 * priority rows keep their insertion order (the AUTOINCREMENT id). Over the disk quota the
 * OLDEST routine rows are dropped first (then the oldest urgent ones, as a last resort), and
 * every drop is counted persistently.
 *
 * The quota counts payload bytes plus a fixed per-row overhead; the SQLite file itself is a
 * little larger (pages, index) and does not shrink — freed pages are reused.
 *
 * Each row keeps the station it belongs to (NULL: the agent's own; else a child station the
 * agent is the gateway of). The same database file holds the uplink's message counters
 * (`seq`, `sequence-counter.ts`) and the command journal (`commands`, `command-journal.ts`).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import * as z from 'zod';
import { AgentError, describeIssues } from '../errors.ts';
import { inTransaction, openBufferDatabase } from './buffer-database.ts';
import { CommandJournal } from './command-journal.ts';
import { SequenceCounter } from './sequence-counter.ts';

export const PRIORITY = { urgent: 0, routine: 1 } as const;
export type Priority = keyof typeof PRIORITY;

/** Topic kind a row is published on. */
export type BufferedKind = 'readings' | 'events';

export interface BufferItemInput {
  readonly priority: Priority;
  readonly kind: BufferedKind;
  /** The wire form, JSON text: one reading `{ts, values}` or one event object. */
  readonly body: string;
  /** Child station it belongs to; omitted: the agent's own station. */
  readonly station?: string;
}

export interface BufferedItem {
  readonly id: number;
  readonly kind: BufferedKind;
  readonly body: string;
  /** Child station it belongs to; undefined: the agent's own station. */
  readonly station: string | undefined;
  /** Bytes counted against the quota. */
  readonly bytes: number;
}

export interface ReadingBufferStats {
  /** Rows waiting (not yet acknowledged by the broker). */
  depth: number;
  urgent: number;
  routine: number;
  /** Bytes counted against the quota. */
  bytes: number;
  quotaBytes: number;
  /** Rows dropped over the quota since the buffer was created (persistent). */
  dropped: number;
  /** Rows appended / acknowledged since this process opened the buffer. */
  appended: number;
  acked: number;
}

export const READING_BUFFER_DEFAULTS = {
  /** Disk quota, bytes. Default 256 MiB (AgentConfig.buffer.quotaBytes). */
  quotaBytes: 256 * 1024 * 1024,
  /** Bytes counted per row on top of its body (id, columns, index entry). */
  rowOverheadBytes: 48,
};

export const ReadingBufferOptionsSchema = z.strictObject({
  /** SQLite file; its folder is created (0700). Required. */
  file: z.string().min(1),
  /** Disk quota, bytes. Default 256 MiB. */
  quotaBytes: z.number().int().min(1024).default(READING_BUFFER_DEFAULTS.quotaBytes),
  /** Bytes counted per row on top of its body. Default 48. */
  rowOverheadBytes: z.number().int().min(0).default(READING_BUFFER_DEFAULTS.rowOverheadBytes),
});
export type ReadingBufferOptions = z.input<typeof ReadingBufferOptionsSchema>;

export class ReadingBuffer {
  readonly #db: DatabaseSync;
  /** The uplink's message counters, one per station. */
  readonly seq: SequenceCounter;
  /** Commands started and not yet answered. */
  readonly commands: CommandJournal;
  readonly #overhead: number;
  #quotaBytes: number;
  #bytes: number;
  #counts: [number, number];
  #dropped: number;
  #appended = 0;
  #acked = 0;
  readonly #insert: StatementSync;
  readonly #peek: StatementSync;
  readonly #peekUpTo: StatementSync;
  readonly #delete: StatementSync;
  readonly #oldest: StatementSync;
  readonly #lastId: StatementSync;
  readonly #addDropped: StatementSync;
  readonly #hasRowsOf: StatementSync;
  #closed = false;
  /**
   * Rows in a message awaiting PUBACK, with their bytes: never dropped for the quota (they may
   * already be delivered) and not counted against it (they are about to leave), so a big
   * message in flight does not make fresh readings drop. The file may exceed the quota by
   * what is in flight (≤ maxInflight messages).
   */
  readonly #inflight = new Map<number, number>();
  #inflightBytes = 0;

  constructor(options: ReadingBufferOptions) {
    const parsed = ReadingBufferOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AgentError('EDGE_ERR_OPTIONS_INVALID', `buffer: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
    const o = parsed.data;
    this.#db = openBufferDatabase(o.file);
    this.seq = new SequenceCounter(this.#db);
    this.commands = new CommandJournal(this.#db);
    this.#overhead = o.rowOverheadBytes;
    this.#quotaBytes = o.quotaBytes;
    this.#insert = this.#db.prepare('INSERT INTO items (priority, kind, body, bytes, station) VALUES (?, ?, ?, ?, ?)');
    this.#peek = this.#db.prepare('SELECT id, kind, body, bytes, station FROM items WHERE priority = ? AND id > ? ORDER BY id LIMIT ?');
    this.#peekUpTo = this.#db.prepare('SELECT id, kind, body, bytes, station FROM items WHERE priority = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?');
    // One statement per acknowledged message, not one per row: ids as a JSON array.
    this.#delete = this.#db.prepare('DELETE FROM items WHERE id IN (SELECT value FROM json_each(?)) RETURNING priority, bytes');
    this.#oldest = this.#db.prepare('SELECT id FROM items WHERE priority = ? AND id > ? ORDER BY id LIMIT ?');
    this.#lastId = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'items'");
    this.#addDropped = this.#db.prepare("UPDATE meta SET value = value + ? WHERE key = 'dropped'");
    this.#hasRowsOf = this.#db.prepare('SELECT 1 AS found FROM items WHERE station = ? LIMIT 1');
    const totals = this.#db.prepare('SELECT priority, count(*) AS n, coalesce(sum(bytes), 0) AS b FROM items GROUP BY priority').all() as Array<{ priority: number; n: number; b: number }>;
    this.#counts = [0, 0];
    this.#bytes = 0;
    for (const t of totals) {
      this.#counts[t.priority === 0 ? 0 : 1] += Number(t.n);
      this.#bytes += Number(t.b);
    }
    this.#dropped = Number((this.#db.prepare("SELECT value FROM meta WHERE key = 'dropped'").get() as { value: number }).value);
  }

  /**
   * Commits the items durably (one transaction, fsync) and enforces the quota. When this
   * returns, the items survive a crash. Throws if the disk refuses — the caller must not
   * acknowledge its own source then.
   */
  append(items: readonly BufferItemInput[]): number[] {
    if (items.length === 0) return [];
    const ids: number[] = [];
    this.#transaction(() => {
      for (const item of items) {
        const bytes = Buffer.byteLength(item.body) + this.#overhead;
        const res = this.#insert.run(PRIORITY[item.priority], item.kind, item.body, bytes, item.station ?? null);
        ids.push(Number(res.lastInsertRowid));
        this.#counts[PRIORITY[item.priority]]++;
        this.#bytes += bytes;
      }
      this.#enforceQuota();
    });
    this.#appended += items.length;
    return ids;
  }

  /** Up to `limit` rows of `priority` with id > `afterId` (and ≤ `upToId`), oldest first. */
  peek(priority: Priority, afterId: number, limit: number, upToId?: number): BufferedItem[] {
    const rows = (
      upToId === undefined ? this.#peek.all(PRIORITY[priority], afterId, limit) : this.#peekUpTo.all(PRIORITY[priority], afterId, upToId, limit)
    ) as Array<{ id: number; kind: string; body: string; bytes: number; station: string | null }>;
    return rows.map((r) => ({ id: Number(r.id), kind: r.kind as BufferedKind, body: r.body, bytes: Number(r.bytes), station: r.station ?? undefined }));
  }

  /** Highest id ever assigned so far (0 when empty since creation). */
  lastId(): number {
    const row = this.#lastId.get() as { seq: number } | undefined;
    return row ? Number(row.seq) : 0;
  }

  /**
   * The broker acknowledged the message carrying these rows: they leave the buffer. Committed
   * without waiting for the disk: after a power cut an ack may be undone, and the row is only
   * sent once more (the platform stores a reading once by series and time).
   */
  ack(ids: readonly number[]): void {
    if (ids.length === 0 || this.#closed) return;
    const leftInflight: Array<[number, number]> = [];
    try {
      this.#transaction(() => {
        for (const id of ids) {
          const inflight = this.#inflight.get(id);
          if (inflight !== undefined) {
            this.#inflight.delete(id);
            this.#inflightBytes -= inflight;
            leftInflight.push([id, inflight]);
          }
        }
        for (const row of this.#delete.all(JSON.stringify(ids)) as Array<{ priority: number; bytes: number }>) {
          this.#counts[row.priority === 0 ? 0 : 1]--;
          this.#bytes -= Number(row.bytes);
          this.#acked++;
        }
      }, false);
    } catch (err) {
      // Rolled back: those rows are still in flight.
      for (const [id, bytes] of leftInflight) this.#inflight.set(id, bytes);
      throw err;
    }
  }

  /** These rows are in a message sent and not yet acknowledged: the quota must not drop them. */
  markInflight(items: ReadonlyArray<Pick<BufferedItem, 'id' | 'bytes'>>): void {
    for (const { id, bytes } of items) {
      if (this.#inflight.has(id)) continue;
      this.#inflight.set(id, bytes);
      this.#inflightBytes += bytes;
    }
  }

  /** The connection is gone: nothing is in flight any more; the quota counts every row again. */
  clearInflight(): void {
    this.#inflight.clear();
    this.#inflightBytes = 0;
    if (!this.#closed) this.#transaction(() => this.#enforceQuota());
  }

  /** Whether any row of child station `station` is waiting. */
  hasRowsOf(station: string): boolean {
    return this.#hasRowsOf.get(station) !== undefined;
  }

  /** Whether this row is in a message sent and not yet acknowledged. */
  isInflight(id: number): boolean {
    return this.#inflight.has(id);
  }

  setQuota(quotaBytes: number): void {
    this.#quotaBytes = quotaBytes;
    this.#transaction(() => this.#enforceQuota());
  }

  stats(): ReadingBufferStats {
    return {
      depth: this.#counts[0] + this.#counts[1],
      urgent: this.#counts[0],
      routine: this.#counts[1],
      bytes: this.#bytes,
      quotaBytes: this.#quotaBytes,
      dropped: this.#dropped,
      appended: this.#appended,
      acked: this.#acked,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /**
   * Runs `fn` in one SQLite transaction. The in-memory totals `fn` changes are put back when it
   * rolls back (disk full, I/O error): totals inflated by a failed append would otherwise make
   * the next quota check drop real rows that fit. (`ack` puts back what it took out of flight.)
   */
  #transaction(fn: () => void, durable = true): void {
    const before = { counts: [...this.#counts] as [number, number], bytes: this.#bytes, dropped: this.#dropped, acked: this.#acked, inflightBytes: this.#inflightBytes };
    try {
      inTransaction(this.#db, fn, durable);
    } catch (err) {
      this.#counts = before.counts;
      this.#bytes = before.bytes;
      this.#dropped = before.dropped;
      this.#acked = before.acked;
      this.#inflightBytes = before.inflightBytes;
      throw new AgentError('EDGE_ERR_BUFFER', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  /** Inside a transaction: drop the oldest routine rows (then urgent ones) until under quota. */
  #enforceQuota(): void {
    let dropped = 0;
    if (this.#bytes - this.#inflightBytes <= this.#quotaBytes) return;
    for (const priority of [PRIORITY.routine, PRIORITY.urgent]) {
      let after = 0;
      while (this.#bytes - this.#inflightBytes > this.#quotaBytes) {
        const victims = this.#oldest.all(priority, after, 256) as Array<{ id: number }>;
        if (victims.length === 0) break;
        for (const v of victims) {
          after = Number(v.id);
          if (this.#bytes - this.#inflightBytes <= this.#quotaBytes) break;
          if (this.#inflight.has(after)) continue;
          const row = this.#delete.get(after) as { priority: number; bytes: number } | undefined;
          if (!row) continue;
          this.#counts[priority]--;
          this.#bytes -= Number(row.bytes);
          dropped++;
        }
      }
    }
    if (dropped > 0) {
      this.#addDropped.run(dropped);
      this.#dropped += dropped;
    }
  }
}
