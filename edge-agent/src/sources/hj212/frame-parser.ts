/**
 * Streaming HJ 212 frame parser for a TCP byte stream (docs/standards/hj212.md §1.1):
 *
 *   `##` + 4-digit decimal data length + data segment + 4 hex CRC (§1.2) + `\r\n`
 *
 * Data loggers in the field are sloppy, so the parser is tolerant by design:
 * - bytes before a `##` are skipped and reported as garbage (resynchronisation);
 * - the CRC is compared case-insensitively;
 * - in lenient mode a 3-digit length (`##453QN=…`) is accepted, and a frame whose declared
 *   length is wrong is still accepted when the first `\r\n` after the header closes a segment
 *   whose CRC checks out (the CRC makes a false match practically impossible);
 * - lengths up to 9999 are accepted; frames over the standard's 1024 are flagged `oversize`;
 * - a frame cut short by a device restart is detected as soon as a later complete, valid frame
 *   shows up, instead of swallowing it;
 * - memory is bounded: a pending frame is dropped once the buffer reaches `maxBufferBytes`
 *   (and a frame can never exceed 2 + 4 + 9999 + 6 bytes anyway).
 * `push` never throws: every problem is an event with a code.
 */
import { scanFrames } from '../frame-scan.ts';
import { hj212Crc } from './crc.ts';
import type { Hj212ErrorCode } from './errors.ts';

/** The stream problems the parser reports (see `HJ212_ERRORS`). */
export type Hj212FrameErrorCode = Extract<
  Hj212ErrorCode,
  | 'EDGE_ERR_HJ212_BAD_CRC'
  | 'EDGE_ERR_HJ212_BAD_LENGTH'
  | 'EDGE_ERR_HJ212_GARBAGE'
  | 'EDGE_ERR_HJ212_TRUNCATED'
  | 'EDGE_ERR_HJ212_OVERFLOW'
>;

/** HJ 212 §1.1: the standard's maximum data segment; longer ones are accepted but flagged. */
export const HJ212_STANDARD_MAX_DATA = 1024;

export interface Hj212Frame {
  readonly kind: 'frame';
  /** The data segment (`QN=…;…;CP=&&…&&`), decoded as UTF-8. */
  readonly data: string;
  /** The whole frame as received. */
  readonly raw: Buffer;
  /** Length declared in the header. */
  readonly declaredLength: number;
  /** Bytes actually in the data segment (differs from `declaredLength` only when `lengthMismatch`). */
  readonly dataLength: number;
  readonly lengthDigits: 3 | 4;
  /** Data segment longer than the standard's 1024 bytes. */
  readonly oversize: boolean;
  /** Lenient mode found the frame by its `\r\n` and CRC, not by its declared length. */
  readonly lengthMismatch: boolean;
  readonly crc: number;
}

export interface Hj212FrameError {
  readonly kind: 'error';
  readonly code: Hj212FrameErrorCode;
  readonly message: string;
  /** Bytes discarded because of this error. */
  readonly bytes: number;
  /** For bad CRC: the data segment, so a reply (9011 QnRtn=9) can echo QN/MN. */
  readonly data?: string;
}

export type Hj212FrameEvent = Hj212Frame | Hj212FrameError;

export interface Hj212FrameParserOptions {
  /** Accept 3-digit lengths and frames found by `\r\n` + valid CRC. Default true. */
  lenient?: boolean;
  /** Largest data segment accepted, bytes (≤ 9999, the most 4 digits can say). Default 9999. */
  maxDataLength?: number;
  /** Most bytes kept while waiting for a frame to complete. Default 16384. */
  maxBufferBytes?: number;
}

export const HJ212_FRAME_PARSER_DEFAULTS: Required<Hj212FrameParserOptions> = {
  lenient: true,
  maxDataLength: 9999,
  maxBufferBytes: 16384,
};

const HASH = 0x23;
const CR = 0x0d;
const LF = 0x0a;
const HEADER = Buffer.from('##');
const CRLF = Buffer.from('\r\n');
const HEX4 = /^[0-9A-Fa-f]{4}$/;
/** Later `##` candidates examined when deciding whether a pending frame was cut short. */
const MAX_LOOK_AHEAD = 16;

type Attempt =
  | { readonly type: 'need' }
  | { readonly type: 'event'; readonly event: Hj212FrameEvent; readonly consumed: number };

const NEED: Attempt = { type: 'need' };

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

export class Hj212FrameParser {
  readonly #options: Required<Hj212FrameParserOptions>;
  #buffer: Buffer = Buffer.alloc(0);
  /**
   * What is already known about the pending buffer, so a slow drip of bytes does not redo the
   * same searches: the pending frame's first `\r\n` failed its CRC, and later `##` offsets
   * that can never start a frame ('never') or whose first `\r\n` failed ('crlf').
   * Offsets stay valid until bytes are consumed, which clears this.
   */
  #firstCrlfFailed = false;
  #settled = new Map<number, 'never' | 'crlf'>();

  constructor(options: Hj212FrameParserOptions = {}) {
    this.#options = { ...HJ212_FRAME_PARSER_DEFAULTS, ...options };
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Feeds bytes from the stream; returns the frames and errors they complete, in order. */
  push(chunk: Buffer | string): Hj212FrameEvent[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    // Every frame ends in LF, so the searches that find frames by their end (lenient CRLF
    // scan, look-ahead for a later frame) only run when new bytes bring one.
    const scan = bytes.includes(LF);
    const buf = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    const { events, rest } = scanFrames<Hj212FrameEvent>(buf, {
      marker: HASH,
      attempt: (at) => this.#attempt(at, scan),
      garbage: (bytes) => error('EDGE_ERR_HJ212_GARBAGE', `${bytes} bytes outside any frame`, bytes),
      consumed: () => this.#forget(),
    });
    // Copy so a small pending tail does not pin a large chunk in memory.
    this.#buffer = Buffer.from(rest);
    return events;
  }

  /** The stream ended: whatever is pending is a truncated frame. */
  end(): Hj212FrameEvent[] {
    const pending = this.#buffer.length;
    this.#buffer = Buffer.alloc(0);
    this.#forget();
    if (pending === 0) return [];
    return [error('EDGE_ERR_HJ212_TRUNCATED', `stream ended inside a frame (${pending} bytes)`, pending)];
  }

  #forget(): void {
    this.#firstCrlfFailed = false;
    if (this.#settled.size > 0) this.#settled = new Map();
  }

  /** Tries to read one frame at the start of `buf` (which starts with `##`). */
  #attempt(buf: Buffer, scan: boolean): Attempt {
    const { lenient, maxDataLength, maxBufferBytes } = this.#options;
    const header = readLength(buf, lenient);
    if (header === 'need') return NEED;
    if (header === 'bad') return skip(buf, 'EDGE_ERR_HJ212_BAD_LENGTH', 'length field is not 4 decimal digits');
    const { lengthDigits, headerLength, declared } = header;
    if (declared > maxDataLength) {
      return skip(buf, 'EDGE_ERR_HJ212_BAD_LENGTH', `declared length ${declared} exceeds ${maxDataLength}`);
    }
    const total = headerLength + declared + 6;

    if (buf.length >= total) {
      if (buf[total - 2] === CR && buf[total - 1] === LF) {
        return checked(buf, headerLength, declared, lengthDigits, total, false, declared);
      }
      const byCrlf = lenient ? byFirstCrlf(buf, headerLength, lengthDigits, declared) : 'none';
      if (typeof byCrlf === 'object') return byCrlf;
      const next = buf.indexOf(HEADER, 2);
      if (next > 0 && next < total) {
        return { type: 'event', event: error('EDGE_ERR_HJ212_TRUNCATED', 'a new frame began inside this one', next), consumed: next };
      }
      return skip(buf, 'EDGE_ERR_HJ212_BAD_LENGTH', `declared length ${declared} does not end at \\r\\n`);
    }

    if (scan) {
      // Not all bytes yet. Lenient: a wrong declared length is common; the CRC decides.
      if (lenient && !this.#firstCrlfFailed) {
        const byCrlf = byFirstCrlf(buf, headerLength, lengthDigits, declared);
        if (typeof byCrlf === 'object') return byCrlf;
        if (byCrlf === 'failed') this.#firstCrlfFailed = true;
      }
      // A complete valid frame further on proves this one was cut short.
      let next = buf.indexOf(HEADER, 2);
      for (let tries = 0; next > 0 && tries < MAX_LOOK_AHEAD; next = buf.indexOf(HEADER, next + 1)) {
        if (this.#settled.get(next) === 'never') continue;
        tries++;
        if (this.#laterFrame(buf.subarray(next), next)) {
          return { type: 'event', event: error('EDGE_ERR_HJ212_TRUNCATED', 'a new frame began inside this one', next), consumed: next };
        }
      }
    }
    if (buf.length >= maxBufferBytes) {
      return skip(buf, 'EDGE_ERR_HJ212_OVERFLOW', `pending frame exceeds ${maxBufferBytes} bytes`);
    }
    return NEED;
  }

  /** True when `buf` (at `offset` in the pending buffer) starts with a complete valid frame. */
  #laterFrame(buf: Buffer, offset: number): boolean {
    const { lenient, maxDataLength } = this.#options;
    const header = readLength(buf, lenient);
    if (header === 'need') return false;
    if (header === 'bad') {
      this.#settled.set(offset, 'never');
      return false;
    }
    const { lengthDigits, headerLength, declared } = header;
    const total = headerLength + declared + 6;
    let declaredDead = declared > maxDataLength;
    if (!declaredDead && buf.length >= total) {
      if (buf[total - 2] === CR && buf[total - 1] === LF) {
        const attempt = checked(buf, headerLength, declared, lengthDigits, total, false, declared);
        if (attempt.type === 'event' && attempt.event.kind === 'frame') return true;
      }
      declaredDead = true;
    }
    let crlfDead = !lenient || this.#settled.get(offset) === 'crlf';
    if (!crlfDead) {
      const byCrlf = byFirstCrlf(buf, headerLength, lengthDigits, declared);
      if (typeof byCrlf === 'object') return true;
      crlfDead = byCrlf === 'failed';
    }
    if (declaredDead && crlfDead) this.#settled.set(offset, 'never');
    else if (crlfDead) this.#settled.set(offset, 'crlf');
    return false;
  }
}

/** Reads `##` + 4 digits (or 3 in lenient mode) at the start of `buf`. */
function readLength(buf: Buffer, lenient: boolean): 'need' | 'bad' | { lengthDigits: 3 | 4; headerLength: number; declared: number } {
  let digits = 0;
  while (digits < 4 && isDigit(buf[2 + digits])) digits++;
  if (digits < 4) {
    if (2 + digits === buf.length) return 'need';
    if (!(lenient && digits === 3)) return 'bad';
  }
  const lengthDigits = digits === 3 ? 3 : 4;
  const headerLength = 2 + lengthDigits;
  return { lengthDigits, headerLength, declared: Number(buf.toString('latin1', 2, headerLength)) };
}

/**
 * Lenient: the first `\r\n` after the header ends the frame if the CRC before it matches.
 * 'none' = no `\r\n` yet; 'failed' = the first one does not close a valid frame (final).
 */
function byFirstCrlf(buf: Buffer, headerLength: number, lengthDigits: 3 | 4, declared: number): Attempt | 'none' | 'failed' {
  const crlf = buf.indexOf(CRLF, headerLength + 4);
  if (crlf < 0) return 'none';
  const dataLength = crlf - 4 - headerLength;
  const crcText = buf.toString('latin1', crlf - 4, crlf);
  if (!HEX4.test(crcText)) return 'failed';
  const data = buf.subarray(headerLength, headerLength + dataLength);
  if (hj212Crc(data) !== Number.parseInt(crcText, 16)) return 'failed';
  return checked(buf, headerLength, dataLength, lengthDigits, crlf + 2, dataLength !== declared, declared);
}

function checked(
  buf: Buffer,
  headerLength: number,
  dataLength: number,
  lengthDigits: 3 | 4,
  total: number,
  lengthMismatch: boolean,
  declaredLength: number,
): Attempt {
  const dataBytes = buf.subarray(headerLength, headerLength + dataLength);
  const crcText = buf.toString('latin1', headerLength + dataLength, headerLength + dataLength + 4);
  const data = dataBytes.toString('utf8');
  const crc = hj212Crc(dataBytes);
  if (!HEX4.test(crcText) || Number.parseInt(crcText, 16) !== crc) {
    const hex = crc.toString(16).toUpperCase().padStart(4, '0');
    return {
      type: 'event',
      event: { ...error('EDGE_ERR_HJ212_BAD_CRC', `CRC ${JSON.stringify(crcText)} does not match ${hex}`, total), data },
      consumed: total,
    };
  }
  const frame: Hj212Frame = {
    kind: 'frame',
    data,
    raw: Buffer.from(buf.subarray(0, total)),
    declaredLength,
    dataLength,
    lengthDigits,
    oversize: dataLength > HJ212_STANDARD_MAX_DATA,
    lengthMismatch,
    crc,
  };
  return { type: 'event', event: frame, consumed: total };
}

/** Drops a bad header: everything up to the next `##` (or all but a trailing '#'). */
function skip(buf: Buffer, code: Hj212FrameErrorCode, message: string): Attempt {
  let next = buf.indexOf(HEADER, 1);
  if (next < 0) next = buf[buf.length - 1] === HASH ? buf.length - 1 : buf.length;
  return { type: 'event', event: error(code, message, next), consumed: next };
}

function error(code: Hj212FrameErrorCode, message: string, bytes: number): Hj212FrameError {
  return { kind: 'error', code, message, bytes };
}
