/**
 * The bytes of a batch between the main thread and an accept worker, both ways, built so the
 * main thread's side costs little: structured clone of object graphs (the readings, six
 * `{v, q}` objects each) costs the receiving thread about as much as decoding the message
 * itself, which is what the worker was meant to take off it.
 *
 * Main → worker (`encodeRequest`): per message, the device id and the payload, back to back in
 * one ArrayBuffer that is transferred (not copied).
 * Worker → main (`ResultsWriter`): numbers in one transferred Float64Array (per message: flags,
 * seq, implausible, length of its lines, its readings as ts, value count and name/value/quality
 * triples), every message's line protocol in one string, the metric names and qualities once per
 * batch in a string table, and the dead letters (rare) as plain objects, written as each message is
 * accepted; `decodeResults` builds each message's result, readings included, with
 * plain object literals on the main thread — a fraction of what cloning them costs.
 */
import type { Quality, Reading, Station } from '@shanshui/models';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';
import type { AcceptedMessage } from './accept-readings.ts';
import type { WorkerAccepted, WorkerDeadLetter } from './accept-worker-protocol.ts';

/** What `encodeRequest` takes: a message handed to a worker. */
export interface RequestItem {
  readonly deviceId: string;
  readonly payload: Buffer;
}

/** One ArrayBuffer of its own (never Buffer's shared pool), so it can be transferred: [u16 id length, id, u32 payload length, payload]… */
export function encodeRequest(items: readonly RequestItem[]): ArrayBuffer {
  let total = 0;
  for (const item of items) total += 6 + Buffer.byteLength(item.deviceId, 'utf8') + item.payload.length;
  const bytes = Buffer.from(new ArrayBuffer(total));
  let at = 0;
  for (const item of items) {
    const n = bytes.write(item.deviceId, at + 2, 'utf8');
    bytes.writeUInt16BE(n, at);
    at += 2 + n;
    bytes.writeUInt32BE(item.payload.length, at);
    at += 4;
    at += item.payload.copy(bytes, at);
  }
  return bytes.buffer as ArrayBuffer;
}

/** The messages of an `encodeRequest` buffer; payloads are views of it. */
export function decodeRequest(buffer: ArrayBuffer): RequestItem[] {
  const bytes = Buffer.from(buffer);
  const out: RequestItem[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = bytes.readUInt16BE(at);
    const deviceId = bytes.toString('utf8', at + 2, at + 2 + n);
    at += 2 + n;
    const length = bytes.readUInt32BE(at);
    at += 4;
    out.push({ deviceId, payload: bytes.subarray(at, at + length) });
    at += length;
  }
  return out;
}

const HAS_STATION = 1;
const HAS_SEQ = 2;
const HAS_REJECTED = 4;
const REJECTED = 8;

export interface ResultsWire {
  readonly numbers: ArrayBuffer;
  readonly lines: string;
  readonly strings: readonly string[];
  /** [index of the message, its dead letters], only for messages that have some. */
  readonly letters: ReadonlyArray<readonly [number, readonly WorkerDeadLetter[]]>;
}

/** What `ResultsWriter.add` takes: a message's result, with or without the main thread's objects. */
export type ResultFields = Omit<WorkerAccepted, 'station'>;

/**
 * A batch's results in the form `decodeResults` reads (worker side), written as each message is
 * accepted: numbers straight into a growing Float64Array (copied once, at its length, into the
 * buffer that is transferred), no object per message, the reading's names and qualities through
 * the batch's string table. Dead letters keep only what the main thread does not have.
 */
export class ResultsWriter {
  #nums = new Float64Array(4096);
  #at = 0;
  #messages = 0;
  #strings: string[] = [];
  #index = new Map<string, number>();
  #letters: Array<readonly [number, readonly WorkerDeadLetter[]]> = [];
  #lines = '';
  /** By place in a reading (2 × metric, + 1 for its quality): the string last seen there and its index in this batch's table. */
  #lastAt: Array<string | undefined> = [];
  #lastIndex: number[] = [];

  add(station: boolean, r: ResultFields): void {
    let at = this.#at;
    this.#room(at, 5);
    this.#nums[at++] = (station ? HAS_STATION : 0) | (r.seq !== undefined ? HAS_SEQ : 0) | (r.rejected !== undefined ? HAS_REJECTED : 0) | (r.rejected ? REJECTED : 0);
    this.#nums[at++] = r.seq ?? 0;
    this.#nums[at++] = r.implausible;
    this.#nums[at++] = r.lines.length;
    this.#nums[at++] = r.readings.length;
    for (const reading of r.readings) {
      this.#room(at, 2);
      const countAt = at + 1;
      this.#nums[at] = reading.ts;
      at += 2;
      let n = 0;
      for (const k in reading.values) {
        this.#room(at, 3);
        const value = reading.values[k]!;
        // Readings mostly repeat their metrics in the same order and the quality "ok": the string at this place last
        // time, compared by identity, saves the table's lookup.
        const p = 2 * n;
        this.#nums[at] = this.#lastAt[p] === k ? this.#lastIndex[p]! : this.#strAt(p, k);
        this.#nums[at + 1] = value.v;
        this.#nums[at + 2] = this.#lastAt[p + 1] === value.q ? this.#lastIndex[p + 1]! : this.#strAt(p + 1, value.q);
        at += 3;
        n++;
      }
      this.#nums[countAt] = n;
    }
    this.#at = at;
    this.#lines += r.lines;
    if (r.deadLetters.length > 0) this.#letters.push([this.#messages, r.deadLetters.map((d) => ({ code: d.code, reason: d.reason, encoding: d.encoding }))]);
    this.#messages++;
  }

  /** The batch so far, to transfer (its numbers are a buffer of their own); the writer starts a new batch. */
  finish(): ResultsWire {
    const wire: ResultsWire = { numbers: this.#nums.slice(0, this.#at).buffer, lines: this.#lines, strings: this.#strings, letters: this.#letters };
    this.#at = 0;
    this.#messages = 0;
    this.#strings = [];
    this.#index = new Map();
    this.#letters = [];
    this.#lines = '';
    this.#lastAt = [];
    this.#lastIndex = [];
    return wire;
  }

  /** Room for `n` more numbers after the first `at`. */
  #room(at: number, n: number): void {
    if (at + n <= this.#nums.length) return;
    const bigger = new Float64Array(Math.max(this.#nums.length * 2, at + n));
    bigger.set(this.#nums.subarray(0, at));
    this.#nums = bigger;
  }

  /** `s`'s place in the batch's string table, remembered as what place `p` of a reading last held. */
  #strAt(p: number, s: string): number {
    let i = this.#index.get(s);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(s);
      this.#index.set(s, i);
    }
    this.#lastAt[p] = s;
    this.#lastIndex[p] = i;
    return i;
  }
}

/** What the main thread has of a message handed to a worker: its result names it, and its dead letters carry it. */
export interface HandedIn {
  readonly deviceId: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly station: Station | undefined;
}

const NO_DEAD_LETTERS: readonly DeadLetterInput[] = Object.freeze([]);
const COMMON = HAS_STATION | HAS_SEQ | HAS_REJECTED;

/**
 * The results a `ResultsWriter` wrote for the messages `items` handed in, in order (main thread side):
 * each message's AcceptedMessage, with the main thread's station object put back and its dead
 * letters completed — the common one (station, seq, no dead letter) built in one object literal
 * of the inline path's shape.
 */
export function decodeResults(wire: ResultsWire, items: readonly HandedIn[]): AcceptedMessage[] {
  const nums = new Float64Array(wire.numbers);
  const strings = wire.strings;
  const letters = wire.letters.length > 0 ? new Map(wire.letters.map(([m, l]) => [m, l])) : undefined;
  const out: AcceptedMessage[] = [];
  let at = 0;
  let lineAt = 0;
  for (let m = 0; at < nums.length; m++) {
    const item = items[m]!;
    const flags = nums[at]!;
    const seq = nums[at + 1]!;
    const implausible = nums[at + 2]!;
    const lineLength = nums[at + 3]!;
    const count = nums[at + 4]!;
    at += 5;
    const readings: Reading[] = [];
    for (let i = 0; i < count; i++) {
      const ts = nums[at]!;
      const n = nums[at + 1]!;
      at += 2;
      const values: Record<string, { v: number; q: Quality }> = {};
      for (let k = 0; k < n; k++) {
        values[strings[nums[at]!]!] = { v: nums[at + 1]!, q: strings[nums[at + 2]!]! as Quality };
        at += 3;
      }
      readings.push({ ts, values });
    }
    const lines = wire.lines.slice(lineAt, lineAt + lineLength);
    lineAt += lineLength;
    const slim = letters?.get(m);
    const deadLetters = slim ? slim.map((d) => ({ deviceId: item.deviceId, topic: item.topic, code: d.code, reason: d.reason, payload: item.payload, encoding: d.encoding })) : NO_DEAD_LETTERS;
    const station = (flags & HAS_STATION) !== 0 ? item.station : undefined;
    if ((flags & COMMON) === COMMON && station) {
      out.push({ station, seq, rejected: (flags & REJECTED) !== 0, readings, lines, implausible, deadLetters });
      continue;
    }
    out.push({
      ...(station ? { station } : {}),
      ...((flags & HAS_SEQ) !== 0 ? { seq } : {}),
      ...((flags & HAS_REJECTED) !== 0 ? { rejected: (flags & REJECTED) !== 0 } : {}),
      readings,
      lines,
      implausible,
      deadLetters,
    });
  }
  return out;
}
