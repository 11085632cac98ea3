/**
 * What the uplink sends next, in order (no I/O beyond reading the buffer):
 * 1. urgent rows (events, alarms), oldest first, immediately — an event alone, readings
 *    gathered up to the next event;
 * 2. live routine rows (appended after the connection came up): at once on the 5g profile; on
 *    the nbiot profile only up to the id `releaseLive()` marked (the uplink calls it once per
 *    `batchIntervalSec`);
 * 3. the backlog — routine rows already in the buffer when the connection came up — oldest
 *    first, within the optional drain cap (`drain-cap.ts`).
 * So after an outage alarms and live readings go first while the backlog fills the rest of the
 * in-flight window. Each lane has a cursor (the last row id it is done with); `restart` at each
 * connection and `rewind` (parked stations may go again) look at every row again — rows still
 * in flight are skipped by the message plan, not here.
 */
import type { BufferedItem, Priority } from '../buffer/reading-buffer.ts';
import { DrainCap } from './drain-cap.ts';

/** The part of the buffer the order reads. */
export interface SendOrderSource {
  peek(priority: Priority, afterId: number, limit: number, upToId?: number): BufferedItem[];
  lastId(): number;
}

export type SendLane = 'urgent' | 'live' | 'backlog';

export type NextSend =
  /** Send from `rows` (non-empty, oldest first), then `advance` the lane's cursor to the last id handled. */
  | { readonly kind: 'rows'; readonly lane: SendLane; readonly rows: BufferedItem[]; readonly advance: (id: number) => void }
  /** Only the backlog is left, and the drain cap says wait this long, ms. */
  | { readonly kind: 'wait'; readonly ms: number }
  /** Nothing to send now; `backlogDrained`: the backlog's last row just went. */
  | { readonly kind: 'idle'; readonly backlogDrained: boolean };

export interface SendOrderOptions {
  /** Most rows looked at per message. */
  readonly maxRows: number;
  /** nbiot: live rows wait for `releaseLive()`. */
  readonly batched: boolean;
  /** Backlog cap, messages per second; undefined: none. */
  readonly drainRatePerSec: number | undefined;
}

export class SendOrder {
  readonly #source: SendOrderSource;
  readonly #maxRows: number;
  #batched: boolean;
  readonly #cap: DrainCap;
  #urgentCursor = 0;
  #backlogCursor = 0;
  /** Rows up to this id were in the buffer when the connection came up: the backlog. */
  #highWater = 0;
  #liveCursor = 0;
  /** Batched: live rows up to this id may go now. */
  #liveLimit: number | undefined;

  constructor(source: SendOrderSource, options: SendOrderOptions, now: number) {
    this.#source = source;
    this.#maxRows = options.maxRows;
    this.#batched = options.batched;
    this.#cap = new DrainCap(options.drainRatePerSec, now);
  }

  setProfile(batched: boolean, drainRatePerSec: number | undefined): void {
    this.#batched = batched;
    this.#cap.setRate(drainRatePerSec);
  }

  /** A new connection: everything in the buffer now is backlog; nothing is released for a batch yet. */
  restart(now: number): void {
    this.rewind();
    this.#liveLimit = undefined;
    this.#cap.reset(now);
  }

  /** Look at every row again (stations that were held back may go now). */
  rewind(): void {
    this.#urgentCursor = 0;
    this.#backlogCursor = 0;
    this.#highWater = this.#source.lastId();
    this.#liveCursor = this.#highWater;
  }

  /** Batched: the live rows appended so far may go now. */
  releaseLive(): void {
    this.#liveLimit = this.#source.lastId();
  }

  get backlogPending(): boolean {
    return this.#backlogCursor < this.#highWater;
  }

  /** A backlog message went (the cap counts it). */
  backlogSent(): void {
    this.#cap.spend();
  }

  next(now: number): NextSend {
    return this.#urgent() ?? this.#live() ?? this.#backlog(now);
  }

  #urgent(): NextSend | undefined {
    const rows = this.#source.peek('urgent', this.#urgentCursor, this.#maxRows);
    if (rows.length === 0) return undefined;
    const advance = (id: number): void => void (this.#urgentCursor = id);
    if (rows[0]!.kind === 'events') return { kind: 'rows', lane: 'urgent', rows: [rows[0]!], advance };
    const end = rows.findIndex((r) => r.kind !== 'readings');
    return { kind: 'rows', lane: 'urgent', rows: end === -1 ? rows : rows.slice(0, end), advance };
  }

  #live(): NextSend | undefined {
    if (this.#batched && this.#liveLimit === undefined) return undefined;
    const rows = this.#source.peek('routine', this.#liveCursor, this.#maxRows, this.#batched ? this.#liveLimit : undefined);
    if (rows.length === 0) {
      if (this.#batched) this.#liveLimit = undefined;
      return undefined;
    }
    return { kind: 'rows', lane: 'live', rows, advance: (id) => void (this.#liveCursor = id) };
  }

  #backlog(now: number): NextSend {
    if (this.#backlogCursor >= this.#highWater) return { kind: 'idle', backlogDrained: false };
    const waitMs = this.#cap.waitMs(now);
    if (waitMs > 0) return { kind: 'wait', ms: waitMs };
    const rows = this.#source.peek('routine', this.#backlogCursor, this.#maxRows, this.#highWater);
    if (rows.length === 0) {
      this.#backlogCursor = this.#highWater;
      return { kind: 'idle', backlogDrained: true };
    }
    return { kind: 'rows', lane: 'backlog', rows, advance: (id) => void (this.#backlogCursor = id) };
  }
}
