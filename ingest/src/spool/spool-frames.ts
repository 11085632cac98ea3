/**
 * The spool's on-disk framing. A segment file is a sequence of frames, each
 * `u32 header | u32 crc32(body) | body` (little endian):
 *   - a group frame (the header's top bit set, the rest the body's length): the records of one
 *     group commit, each `u32 length | bytes` — one header and one CRC per fsync, not per record;
 *   - a record frame (top bit clear; what spools written before group frames hold): one record.
 * A frame is whole or it is not there: a torn or corrupt frame fails its length or CRC check,
 * and every record in it goes with it (none of them was acknowledged: the PUBACKs of a group
 * wait for its fsync).
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 4;
const GROUP_FLAG = 0x8000_0000;
/** Largest frame body the header can say. */
export const MAX_FRAME_BODY = 0x7fff_ffff;

/**
 * One group frame of `records`, whose UTF-8 / byte lengths are `lengths` and whose body is
 * `bodyBytes` (Σ RECORD_HEADER_BYTES + length). Text is encoded straight into the frame.
 */
export function encodeGroup(records: readonly (Buffer | string)[], lengths: readonly number[], bodyBytes: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  out.writeUInt32LE((GROUP_FLAG | bodyBytes) >>> 0, 0);
  let off = FRAME_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const length = lengths[i]!;
    out.writeUInt32LE(length, off);
    off += RECORD_HEADER_BYTES;
    if (typeof record === 'string') out.write(record, off, length, 'utf8');
    else record.copy(out, off);
    off += length;
  }
  out.writeUInt32LE(crc32(out.subarray(FRAME_HEADER_BYTES)), 4);
  return out;
}

/** One record frame (the older framing; still read, written only by tests). */
export function encodeRecordFrame(record: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + record.length);
  out.writeUInt32LE(record.length, 0);
  record.copy(out, FRAME_HEADER_BYTES);
  out.writeUInt32LE(crc32(record), 4);
  return out;
}

export interface ParsedFrames {
  /** Views into the buffer parsed. */
  readonly records: Buffer[];
  /** Bytes of whole, valid frames from the start. */
  readonly consumed: number;
  /** The frame at `consumed` is corrupt (bad CRC or group layout), not merely incomplete. */
  readonly corrupt: boolean;
  /** The frame at `consumed` is incomplete: its body length. */
  readonly nextLength?: number;
}

/**
 * Whole, valid frames from the start of `buf`; stops at the first incomplete or corrupt one.
 * `onFrame(start, records)` is told each whole frame's offset and record count.
 */
export function parseFrames(buf: Buffer, onFrame?: (start: number, records: number) => void): ParsedFrames {
  const records: Buffer[] = [];
  let off = 0;
  while (off + FRAME_HEADER_BYTES <= buf.length) {
    const header = buf.readUInt32LE(off);
    const group = (header & GROUP_FLAG) !== 0;
    const len = header & MAX_FRAME_BODY;
    const bodyStart = off + FRAME_HEADER_BYTES;
    const bodyEnd = bodyStart + len;
    if (bodyEnd > buf.length) return { records, consumed: off, corrupt: false, nextLength: len };
    const body = buf.subarray(bodyStart, bodyEnd);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) return { records, consumed: off, corrupt: true };
    if (!group) {
      records.push(body);
      onFrame?.(off, 1);
    } else {
      const before = records.length;
      let p = bodyStart;
      while (p < bodyEnd) {
        if (p + RECORD_HEADER_BYTES > bodyEnd) break;
        const n = buf.readUInt32LE(p);
        if (p + RECORD_HEADER_BYTES + n > bodyEnd) break;
        records.push(buf.subarray(p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + n));
        p += RECORD_HEADER_BYTES + n;
      }
      if (p !== bodyEnd || records.length === before) {
        // A CRC-valid body whose records do not add up: not something this code wrote.
        records.length = before;
        return { records, consumed: off, corrupt: true };
      }
      onFrame?.(off, records.length - before);
    }
    off = bodyEnd;
  }
  return { records, consumed: off, corrupt: false };
}
