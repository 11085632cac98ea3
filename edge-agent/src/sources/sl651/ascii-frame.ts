/**
 * SL 651-2014 ASCII character encoding (docs/standards/sl651-ascii.md): the same frame as the
 * HEX/BCD one with every header field written as ASCII characters, and a text body.
 *
 *   SOH 01 · centre (2 hex) + station (10) [down: station + centre] · password (4 hex) · function (2 hex)
 *   · direction+length (4 hex: top nibble 0 up / 8 down, low 12 bits = body characters)
 *   · STX 02 · body · end char (ETX 03 …) · CRC (4 hex chars, CRC-16/MODBUS over SOH … end char)
 *
 * Body: serial (4 hex) and send time (12 digits YYMMDDhhmmss), then space-separated fields:
 * `ST` station address + station class letter (`H` 河道, `K` 水库, `P` 降水 …: the same codes as
 * the HEX class byte), `TT` observation time (10 digits), and elements as symbol + decimal value
 * (`PJ 0.5`, `Z 12.345`, `VT 12.21`; symbols as in the element map).
 *
 * A decoded ASCII frame is handed on in the HEX model: the body is converted to the HEX/BCD body
 * (serial, BCD times, F1F1/F0F0 groups, identifier + definition byte + BCD value), so report
 * parsing, element mapping and readings are one code path for both encodings; `encoding:
 * 'ascii'` tells the listener to answer in ASCII. Multi-packet (SYN) ASCII transfers and the
 * F4/F5 five-minute arrays are not converted (reported as a bad header / a note).
 */
import { encodeSl651Time, SL651_CST_OFFSET_MINUTES } from './bcd.ts';
import { sl651Crc } from './crc.ts';
import { SL651_ELEMENT_MAP } from './element-map.ts';
import { encodeSl651Element } from './encode.ts';

/** The ASCII frame's start char (HEX/BCD frames start with 7E 7E). */
export const SL651_ASCII_SOH = 0x01;
const STX = 0x02;
const SYN = 0x16;
const ETX = 0x03;
const END_CHARS = new Set([0x03, 0x17, 0x04, 0x05, 0x06, 0x15, 0x1b]);
/** SOH + addresses (12) + password (4) + function (2) + direction/length (4). */
const HEADER_CHARS = 23;

const HEX = /^[0-9A-Fa-f]+$/;

/** Element symbol → element key of the HEX model ('PJ' → '20'). */
const KEY_BY_SYMBOL: ReadonlyMap<string, string> = new Map(Object.entries(SL651_ELEMENT_MAP).map(([key, info]) => [info.symbol.toUpperCase(), key]));

export interface Sl651AsciiHeader {
  readonly direction: 'up' | 'down';
  readonly centre: number;
  readonly station: string;
  readonly password: string;
  readonly functionCode: number;
}

export type Sl651AsciiAttempt =
  | { readonly type: 'need' }
  | { readonly type: 'frame'; readonly header: Sl651AsciiHeader; readonly text: string; readonly endChar: number; readonly consumed: number }
  | { readonly type: 'error'; readonly reason: 'header' | 'end' | 'crc'; readonly message: string; readonly consumed: number; readonly header?: Sl651AsciiHeader };

const hexField = (buf: Buffer, from: number, chars: number): number | undefined => {
  const text = buf.toString('latin1', from, from + chars);
  return text.length === chars && HEX.test(text) ? parseInt(text, 16) : undefined;
};

/** Reads one ASCII frame at the start of `buf` (which begins with SOH 01). */
export function readSl651AsciiFrame(buf: Buffer): Sl651AsciiAttempt {
  if (buf.length < HEADER_CHARS + 1) return { type: 'need' };
  const dirLen = hexField(buf, 19, 4);
  const bad = (message: string): Sl651AsciiAttempt => ({ type: 'error', reason: 'header', message, consumed: 1 });
  if (dirLen === undefined) return bad('ASCII frame: direction/length is not 4 hex chars');
  const dirBits = dirLen >> 12;
  if (dirBits !== 0 && dirBits !== 8) return bad(`ASCII frame: direction bits ${dirBits.toString(2).padStart(4, '0')}`);
  const direction = dirBits === 0 ? 'up' : 'down';
  const a = hexField(buf, 1, direction === 'up' ? 2 : 10);
  const stationText = buf.toString('latin1', direction === 'up' ? 3 : 1, direction === 'up' ? 13 : 11);
  const centre = direction === 'up' ? a : hexField(buf, 11, 2);
  const password = buf.toString('latin1', 13, 17);
  const functionCode = hexField(buf, 17, 2);
  if (centre === undefined || !HEX.test(stationText) || stationText.length !== 10 || !HEX.test(password) || functionCode === undefined) return bad('ASCII frame: address, password or function code not in hex chars');
  const header: Sl651AsciiHeader = { direction, centre, station: stationText.toUpperCase(), password: password.toUpperCase(), functionCode };
  const startChar = buf[HEADER_CHARS];
  if (startChar === SYN) return bad('ASCII frame: multi-packet (SYN) transfers are not supported in ASCII mode');
  if (startChar !== STX) return bad(`ASCII frame: start char ${startChar}`);
  const length = dirLen & 0x0fff;
  const endAt = HEADER_CHARS + 1 + length;
  const total = endAt + 1 + 4;
  if (buf.length < total) return { type: 'need' };
  const endChar = buf[endAt]!;
  if (!END_CHARS.has(endChar)) return { type: 'error', reason: 'end', message: `ASCII frame: no end char after ${length} body chars`, consumed: 1 };
  const crc = hexField(buf, endAt + 1, 4);
  if (crc === undefined || crc !== sl651Crc(buf.subarray(0, endAt + 1))) return { type: 'error', reason: 'crc', message: 'ASCII frame: CRC does not match', consumed: total, header };
  return { type: 'frame', header, text: buf.toString('latin1', HEADER_CHARS + 1, endAt), endChar, consumed: total };
}

/**
 * An ASCII body → the HEX/BCD body of the same content (see the file comment), with notes on
 * what could not be carried over. Throws a RangeError when the serial or send time is unreadable.
 */
export function asciiBodyToHex(text: string): { body: Buffer; notes: string[] } {
  const tokens = text.trim().split(/\s+/).filter((t) => t.length > 0);
  const notes: string[] = [];
  let first = tokens.shift() ?? '';
  // Serial and send time are written together (16 chars) or as two fields.
  if (first.length === 4 && /^\d{12}$/.test(tokens[0] ?? '')) first += tokens.shift();
  if (!/^[0-9A-Fa-f]{4}\d{12}$/.test(first)) throw new RangeError(`ASCII body: serial (4 hex) + send time (12 digits) expected, got ${JSON.stringify(first.slice(0, 20))}`);
  const parts: Buffer[] = [Buffer.from(first.slice(0, 4), 'hex'), Buffer.from(first.slice(4), 'hex')];
  while (tokens.length > 0) {
    const symbol = tokens.shift()!.toUpperCase();
    if (symbol === 'ST') {
      const station = tokens.shift() ?? '';
      const cls = tokens.shift() ?? '';
      if (!/^[0-9A-Fa-f]{10}$/.test(station) || cls.length !== 1) throw new RangeError(`ASCII body: ST needs a 10-char address and a class letter`);
      parts.push(Buffer.from([0xf1, 0xf1]), Buffer.from(station, 'hex'), Buffer.from([cls.toUpperCase().charCodeAt(0)]));
      continue;
    }
    if (symbol === 'TT') {
      const time = tokens.shift() ?? '';
      if (!/^\d{10}$/.test(time)) throw new RangeError('ASCII body: TT needs 10 digits (YYMMDDhhmm)');
      parts.push(Buffer.from([0xf0, 0xf0]), Buffer.from(time, 'hex'));
      continue;
    }
    const key = KEY_BY_SYMBOL.get(symbol);
    const value = tokens[0];
    if (key === undefined || key === 'F4' || key === 'F5') {
      notes.push(key === undefined ? `ASCII element ${symbol}: symbol unknown, skipped` : `ASCII element ${symbol}: arrays are not converted, skipped`);
      // Skip its value(s): everything up to the next non-numeric token.
      while (tokens.length > 0 && /^[-+]?[\d.]+$/.test(tokens[0]!)) tokens.shift();
      continue;
    }
    tokens.shift();
    if (value === undefined || !/^[-+]?\d+(\.\d+)?$/.test(value)) {
      notes.push(`ASCII element ${symbol}: value ${JSON.stringify(value ?? '')} is not a number, skipped`);
      continue;
    }
    const decimals = value.includes('.') ? value.split('.')[1]!.length : 0;
    const digitsNeeded = value.replace(/[-+.]/g, '').replace(/^0+(?=\d)/, '').length;
    const info = SL651_ELEMENT_MAP[key]!;
    const digits = Math.max(info.digits, digitsNeeded + (digitsNeeded % 2));
    parts.push(encodeSl651Element({ key, value: Number(value), digits, decimals: Math.min(decimals, 7) }));
  }
  return { body: Buffer.concat(parts), notes };
}

export interface Sl651AsciiFrameInput {
  direction: 'up' | 'down';
  centre: number;
  station: string;
  password: string;
  functionCode: number;
  body: string;
  endChar?: number;
}

const h = (n: number, chars: number): string => n.toString(16).toUpperCase().padStart(chars, '0');

/** One ASCII frame (an RTU's report in tests and simulators, or the listener's answer). */
export function encodeSl651AsciiFrame(input: Sl651AsciiFrameInput): Buffer {
  const length = Buffer.byteLength(input.body, 'latin1');
  if (length > 0x0fff) throw new RangeError(`ASCII body of ${length} chars exceeds the 12-bit length`);
  const addresses = input.direction === 'up' ? h(input.centre, 2) + input.station.toUpperCase() : input.station.toUpperCase() + h(input.centre, 2);
  const head = `${addresses}${input.password.toUpperCase()}${h(input.functionCode, 2)}${h((input.direction === 'up' ? 0 : 0x8000) | length, 4)}`;
  const framed = Buffer.concat([Buffer.from([SL651_ASCII_SOH]), Buffer.from(head, 'latin1'), Buffer.from([STX]), Buffer.from(input.body, 'latin1'), Buffer.from([input.endChar ?? ETX])]);
  return Buffer.concat([framed, Buffer.from(h(sl651Crc(framed), 4), 'latin1')]);
}

/** The listener's ASCII answer to a report: serial + send time, downlink, end char EOT by default. */
export function encodeSl651AsciiAck(input: { centre: number; station: string; password: string; functionCode: number; serial: number; endChar?: number; sentAt?: Date; utcOffsetMinutes?: number }): Buffer {
  const time = encodeSl651Time(input.sentAt ?? new Date(), input.utcOffsetMinutes ?? SL651_CST_OFFSET_MINUTES).toString('hex');
  return encodeSl651AsciiFrame({ direction: 'down', centre: input.centre, station: input.station, password: input.password, functionCode: input.functionCode, body: `${h(input.serial & 0xffff, 4)}${time}`, endChar: input.endChar ?? 0x04 });
}
