/**
 * The bytes of a batch between the main thread and an accept worker, both ways, built so the
 * main thread's side costs little: structured clone of object graphs (the readings, six
 * `{v, q}` objects each) costs the receiving thread about as much as decoding the message
 * itself, which is what the worker was meant to take off it.
 *
 * Main → worker (`encodeRequest`): per message, the device id and the payload, back to back in
 * one ArrayBuffer that is transferred (not copied).
 * Worker → main (`encodeResults`): numbers in one transferred Float64Array (per message: flags,
 * seq, implausible, length of its lines, its readings as ts, value count and name/value/quality
 * triples), every message's line protocol in one string, the metric names and qualities once per
 * batch in a string table, and the dead letters (rare) as plain objects. `decodeResults` builds
 * the readings with plain object literals on the main thread — a fraction of what cloning them costs.
 */
import type { Quality, Reading } from '@shanshui/models';
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

/** A batch's results in the form `decodeResults` reads (worker side). */
export function encodeResults(results: readonly WorkerAccepted[]): ResultsWire {
  const nums: number[] = [];
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const letters: Array<readonly [number, readonly WorkerDeadLetter[]]> = [];
  let lines = '';
  for (let m = 0; m < results.length; m++) {
    const r = results[m]!;
    const flags = (r.station ? HAS_STATION : 0) | (r.seq !== undefined ? HAS_SEQ : 0) | (r.rejected !== undefined ? HAS_REJECTED : 0) | (r.rejected ? REJECTED : 0);
    nums.push(flags, r.seq ?? 0, r.implausible, r.lines.length, r.readings.length);
    lines += r.lines;
    for (const reading of r.readings) {
      const keys = Object.keys(reading.values);
      nums.push(reading.ts, keys.length);
      for (const k of keys) {
        const value = reading.values[k]!;
        nums.push(str(k), value.v, str(value.q));
      }
    }
    if (r.deadLetters.length > 0) letters.push([m, r.deadLetters]);
  }
  return { numbers: Float64Array.from(nums).buffer, lines, strings, letters };
}

/** The results of `encodeResults`, in order (main thread side). */
export function decodeResults(wire: ResultsWire): WorkerAccepted[] {
  const nums = new Float64Array(wire.numbers);
  const strings = wire.strings;
  const letters = new Map(wire.letters.map(([m, l]) => [m, l]));
  const out: WorkerAccepted[] = [];
  let at = 0;
  let lineAt = 0;
  for (let m = 0; at < nums.length; m++) {
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
    out.push({
      station: (flags & HAS_STATION) !== 0,
      ...((flags & HAS_SEQ) !== 0 ? { seq } : {}),
      ...((flags & HAS_REJECTED) !== 0 ? { rejected: (flags & REJECTED) !== 0 } : {}),
      readings,
      lines,
      implausible,
      deadLetters: letters.get(m) ?? [],
    });
  }
  return out;
}
