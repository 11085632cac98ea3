/**
 * Streaming SL 651-2014 HEX/BCD frame parser (docs/standards/sl651.md §2.1):
 *
 *   7E 7E · addresses (6) · password (2) · function (1) · direction+length (2)
 *   · STX 02 | SYN 16 + packet total/seq (3) · body · end char · CRC (2, high byte first)
 *
 * Uplink addresses are centre (1) + station (5); downlink station (5) + centre (1). The top 4
 * bits of direction+length are 0000 up, 1000 down; the low 12 bits count the bytes between
 * the start char and the end char. Whether that count includes the 3 packet bytes after SYN
 * differs between implementations, so both readings are tried and the CRC decides.
 * Tolerance as in the HJ 212 parser: garbage is skipped and reported, a frame cut short is
 * detected when a later complete valid frame appears, the buffer is capped, `push` never throws.
 * ASCII-encoded frames (SOH 0x01, `ascii-frame.ts`) are read too and handed on in the HEX model
 * (`encoding: 'ascii'`); a lone 01 that starts no readable ASCII header counts as garbage.
 */
import { scanFrames } from '../frame-scan.ts';
import { sl651Crc } from './crc.ts';
import { asciiBodyToHex, readSl651AsciiFrame, SL651_ASCII_SOH } from './ascii-frame.ts';
import type { Sl651ErrorCode } from './errors.ts';

export type Sl651FrameErrorCode = Extract<
  Sl651ErrorCode,
  | 'EDGE_ERR_SL651_BAD_CRC'
  | 'EDGE_ERR_SL651_BAD_HEADER'
  | 'EDGE_ERR_SL651_BAD_END'
  | 'EDGE_ERR_SL651_GARBAGE'
  | 'EDGE_ERR_SL651_TRUNCATED'
  | 'EDGE_ERR_SL651_OVERFLOW'
>;

/** Body start chars. */
export const STX = 0x02;
export const SYN = 0x16;
/** End chars (§2.1): ETX last, ETB more follow; downlink EOT/ENQ/ACK/NAK/ESC. */
export const ETX = 0x03;
export const ETB = 0x17;
export const EOT = 0x04;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;
export const ESC = 0x1b;
export const SL651_END_CHARS: ReadonlySet<number> = new Set([ETX, ETB, EOT, ENQ, ACK, NAK, ESC]);

export interface Sl651Frame {
  readonly kind: 'frame';
  readonly direction: 'up' | 'down';
  /** Centre (中心站) address. */
  readonly centre: number;
  /** Station (遥测站) address: the 5 address bytes as 10 uppercase hex digits (BCD ones read as decimal). */
  readonly station: string;
  /** Password: 2 bytes as 4 uppercase hex digits. */
  readonly password: string;
  readonly functionCode: number;
  readonly startChar: number;
  /** SYN frames: packet total and sequence (1-based), 12 bits each. */
  readonly packet?: { readonly total: number; readonly seq: number };
  /** Bytes between the start char (and packet bytes) and the end char. */
  readonly body: Buffer;
  readonly endChar: number;
  readonly raw: Buffer;
  /** `ascii`: the frame came ASCII-encoded (its body converted to the HEX model); answer in ASCII. Default HEX/BCD. */
  readonly encoding?: 'ascii';
  /** ASCII frames: what the body conversion could not carry over. */
  readonly notes?: readonly string[];
}

export interface Sl651FrameError {
  readonly kind: 'error';
  readonly code: Sl651FrameErrorCode;
  readonly message: string;
  /** Bytes discarded because of this error. */
  readonly bytes: number;
  /** For bad CRC: the header (and the serial of a single-packet frame) as read, for a possible NAK. */
  readonly header?: Pick<Sl651Frame, 'direction' | 'centre' | 'station' | 'password' | 'functionCode' | 'encoding'> & { readonly serial?: number };
}

export type Sl651FrameEvent = Sl651Frame | Sl651FrameError;

export interface Sl651FrameParserOptions {
  /** Most bytes kept while waiting for a frame to complete. Default 8192 (a frame is at most 4115). */
  maxBufferBytes?: number;
}

export const SL651_FRAME_PARSER_DEFAULTS: Required<Sl651FrameParserOptions> = {
  maxBufferBytes: 8192,
};

const SOH = Buffer.from([0x7e, 0x7e]);
const HEADER_BYTES = 13;
/** Later `7E7E` candidates examined when deciding whether a pending frame was cut short. */
const MAX_LOOK_AHEAD = 16;

type Attempt =
  | { readonly type: 'need' }
  | { readonly type: 'event'; readonly event: Sl651FrameEvent; readonly consumed: number };
const NEED: Attempt = { type: 'need' };

export class Sl651FrameParser {
  readonly #options: Required<Sl651FrameParserOptions>;
  #buffer: Buffer = Buffer.alloc(0);
  /**
   * Later `7E7E` offsets in the pending buffer already known not to start a valid frame (a
   * complete candidate never changes), so a slow drip of bytes does not re-check them.
   * Offsets stay valid until bytes are consumed, which clears this.
   */
  #settled = new Set<number>();
  #crcBytes = 0;
  #candidateChecks = 0;

  constructor(options: Sl651FrameParserOptions = {}) {
    this.#options = { ...SL651_FRAME_PARSER_DEFAULTS, ...options };
  }

  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /**
   * The parser's work so far: frame candidates examined and bytes run through the CRC. Both
   * must grow linearly with the input, also when it arrives one byte at a time.
   */
  get work(): { readonly candidateChecks: number; readonly crcBytes: number } {
    return { candidateChecks: this.#candidateChecks, crcBytes: this.#crcBytes };
  }

  /** Feeds bytes from the stream; returns the frames and errors they complete, in order. */
  push(chunk: Uint8Array): Sl651FrameEvent[] {
    const buf = this.#buffer.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.#buffer, chunk]);
    const { events, rest } = scanFrames<Sl651FrameEvent>(buf, {
      marker: 0x7e,
      attempt: (at) => this.#attempt(at, true),
      findOther: (at) => at.indexOf(SL651_ASCII_SOH),
      attemptOther: (at) => {
        const attempt = this.#attemptAscii(at);
        return attempt === 'garbage' ? { type: 'garbage' } : attempt;
      },
      garbage: (bytes) => error('EDGE_ERR_SL651_GARBAGE', `${bytes} bytes outside any frame`, bytes),
      consumed: () => this.#forget(),
    });
    this.#buffer = Buffer.from(rest);
    return events;
  }

  /** The stream ended: whatever is pending is a truncated frame. */
  end(): Sl651FrameEvent[] {
    const pending = this.#buffer.length;
    this.#buffer = Buffer.alloc(0);
    this.#forget();
    if (pending === 0) return [];
    return [error('EDGE_ERR_SL651_TRUNCATED', `stream ended inside a frame (${pending} bytes)`, pending)];
  }

  /** An ASCII frame at the start of `buf`; a 01 that starts no plausible ASCII header is garbage. */
  #attemptAscii(buf: Buffer): Attempt | 'garbage' {
    const header = buf.subarray(1, Math.min(buf.length, 23)).toString('latin1');
    if (!/^[0-9A-Fa-f]*$/.test(header)) return 'garbage';
    const r = readSl651AsciiFrame(buf);
    if (r.type === 'need') return buf.length >= this.#options.maxBufferBytes ? skip(buf, 'EDGE_ERR_SL651_OVERFLOW', `pending frame exceeds ${this.#options.maxBufferBytes} bytes`) : NEED;
    if (r.type === 'error') {
      if (r.reason === 'header' && !r.header) return 'garbage';
      const code = r.reason === 'crc' ? 'EDGE_ERR_SL651_BAD_CRC' : r.reason === 'end' ? 'EDGE_ERR_SL651_BAD_END' : 'EDGE_ERR_SL651_BAD_HEADER';
      const serial = /^[0-9A-Fa-f]{4}/.test(buf.toString('latin1', 24, 28)) ? parseInt(buf.toString('latin1', 24, 28), 16) : undefined;
      const event: Sl651FrameError = { ...error(code, r.message, r.consumed), ...(r.header ? { header: { ...r.header, encoding: 'ascii' as const, ...(serial !== undefined ? { serial } : {}) } } : {}) };
      return { type: 'event', event, consumed: r.consumed };
    }
    let converted: { body: Buffer; notes: string[] };
    try {
      converted = asciiBodyToHex(r.text);
    } catch (err) {
      return { type: 'event', event: error('EDGE_ERR_SL651_BAD_HEADER', `ASCII body: ${err instanceof Error ? err.message : String(err)}`, r.consumed), consumed: r.consumed };
    }
    const frame: Sl651Frame = {
      kind: 'frame',
      ...r.header,
      startChar: STX,
      body: converted.body,
      endChar: r.endChar,
      raw: Buffer.from(buf.subarray(0, r.consumed)),
      encoding: 'ascii',
      ...(converted.notes.length > 0 ? { notes: converted.notes } : {}),
    };
    return { type: 'event', event: frame, consumed: r.consumed };
  }

  #forget(): void {
    if (this.#settled.size > 0) this.#settled = new Set();
  }

  #attempt(buf: Buffer, lookAhead: boolean): Attempt {
    this.#candidateChecks++;
    if (buf.length < HEADER_BYTES + 1) return NEED;
    const dirLen = buf.readUInt16BE(11);
    const dirBits = dirLen >> 12;
    const startChar = buf[13];
    if ((dirBits !== 0 && dirBits !== 8) || (startChar !== STX && startChar !== SYN)) {
      // A header that breaks off into a new 7E7E is a cut-short frame, not a malformed one.
      const next = buf.indexOf(SOH, 2);
      if (next > 0 && next <= HEADER_BYTES) {
        return { type: 'event', event: error('EDGE_ERR_SL651_TRUNCATED', 'a new frame began inside this one', next), consumed: next };
      }
      const what = dirBits !== 0 && dirBits !== 8 ? `direction bits ${dirBits.toString(2).padStart(4, '0')}` : `start char ${hex(startChar ?? 0)}`;
      return skip(buf, 'EDGE_ERR_SL651_BAD_HEADER', what);
    }
    const length = dirLen & 0x0fff;
    const direction = dirBits === 0 ? 'up' : 'down';

    // (first body byte, body length) readings to try, most likely first.
    const readings: Array<[number, number]> =
      startChar === STX ? [[14, length]] : length >= 3 ? [[17, length - 3], [17, length]] : [[17, length]];
    let badCrcAt = -1;
    for (const [bodyStart, bodyLength] of readings) {
      const endAt = bodyStart + bodyLength;
      const total = endAt + 3;
      if (buf.length < total) return this.#pending(buf, lookAhead);
      const endChar = buf[endAt] ?? -1;
      if (!SL651_END_CHARS.has(endChar)) continue;
      this.#crcBytes += endAt + 1;
      if (sl651Crc(buf.subarray(0, endAt + 1)) !== buf.readUInt16BE(endAt + 1)) {
        if (badCrcAt < 0) badCrcAt = total;
        continue;
      }
      const header = readHeader(buf, direction);
      const frame: Sl651Frame = {
        kind: 'frame',
        ...header,
        startChar,
        ...(startChar === SYN ? { packet: { total: (buf.readUInt16BE(14) >> 4) & 0x0fff, seq: buf.readUInt16BE(15) & 0x0fff } } : {}),
        body: Buffer.from(buf.subarray(bodyStart, endAt)),
        endChar,
        raw: Buffer.from(buf.subarray(0, total)),
      };
      return { type: 'event', event: frame, consumed: total };
    }
    if (badCrcAt >= 0) {
      const header = { ...readHeader(buf, direction), ...(startChar === STX && length >= 2 ? { serial: buf.readUInt16BE(14) } : {}) };
      const event: Sl651FrameError = { ...error('EDGE_ERR_SL651_BAD_CRC', 'CRC does not match', badCrcAt), header };
      return { type: 'event', event, consumed: badCrcAt };
    }
    const next = buf.indexOf(SOH, 2);
    const longest = Math.max(...readings.map(([bodyStart, bodyLength]) => bodyStart + bodyLength + 3));
    if (next > 0 && next < longest) {
      return { type: 'event', event: error('EDGE_ERR_SL651_TRUNCATED', 'a new frame began inside this one', next), consumed: next };
    }
    return skip(buf, 'EDGE_ERR_SL651_BAD_END', `no end char after ${length} body bytes`);
  }

  /** Not all bytes yet: a complete valid frame further on proves this one was cut short. */
  #pending(buf: Buffer, lookAhead: boolean): Attempt {
    if (lookAhead) {
      let next = buf.indexOf(SOH, 2);
      for (let tries = 0; next > 0 && tries < MAX_LOOK_AHEAD; next = buf.indexOf(SOH, next + 1)) {
        if (this.#settled.has(next)) continue;
        tries++;
        const later = this.#attempt(buf.subarray(next), false);
        if (later.type === 'event') {
          if (later.event.kind === 'frame') {
            return { type: 'event', event: error('EDGE_ERR_SL651_TRUNCATED', 'a new frame began inside this one', next), consumed: next };
          }
          this.#settled.add(next);
        }
      }
    }
    if (buf.length >= this.#options.maxBufferBytes) {
      return skip(buf, 'EDGE_ERR_SL651_OVERFLOW', `pending frame exceeds ${this.#options.maxBufferBytes} bytes`);
    }
    return NEED;
  }
}

function readHeader(buf: Buffer, direction: 'up' | 'down'): Pick<Sl651Frame, 'direction' | 'centre' | 'station' | 'password' | 'functionCode'> {
  const up = direction === 'up';
  return {
    direction,
    centre: buf[up ? 2 : 7] ?? 0,
    station: buf.toString('hex', up ? 3 : 2, up ? 8 : 7).toUpperCase(),
    password: buf.toString('hex', 8, 10).toUpperCase(),
    functionCode: buf[10] ?? 0,
  };
}

/** Drops a bad header: everything up to the next `7E7E` (or all but a trailing 7E). */
function skip(buf: Buffer, code: Sl651FrameErrorCode, message: string): Attempt {
  let next = buf.indexOf(SOH, 1);
  if (next < 0) next = buf[buf.length - 1] === 0x7e ? buf.length - 1 : buf.length;
  return { type: 'event', event: error(code, message, next), consumed: next };
}

function error(code: Sl651FrameErrorCode, message: string, bytes: number): Sl651FrameError {
  return { kind: 'error', code, message, bytes };
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
