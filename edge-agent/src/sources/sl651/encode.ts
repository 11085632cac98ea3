/**
 * SL 651 frame encoders (docs/standards/sl651.md §2.1–§2.2):
 * - the centre's downlink acknowledgement of a report: direction 1000, body STX + serial (echoed)
 *   + send time (the centre's clock), end char EOT (04, done: the station may hang up) or ESC
 *   (1B, done: stay online) — ACK (06) / NAK (15) for multi-packet transfers;
 * - uplink reports and keep-alives, for tests and station simulators, so the parser can be
 *   checked by round trip.
 * For SYN (multi-packet) frames the length counts the 3 packet bytes, as the one public station
 * firmware we could check does; the parser accepts both readings.
 * Encoders are for our own well-formed input and throw RangeError on impossible values.
 */
import { encodeBcd, encodeSl651Time, SL651_CST_OFFSET_MINUTES } from './bcd.ts';
import { sl651Crc } from './crc.ts';
import { SL651_ELEMENT_MAP } from './element-map.ts';
import { EOT, ETX, STX, SYN } from './frame-parser.ts';
import { SL651_FUNCTION } from './report.ts';

export interface Sl651FrameInput {
  direction: 'up' | 'down';
  /** Centre address, 0–255. */
  centre: number;
  /** Station address: 10 hex digits. */
  station: string;
  /** Password: 4 hex digits, or a number 0–0xFFFF. */
  password: string | number;
  functionCode: number;
  /** Bytes between the start char (and packet bytes) and the end char. */
  body: Uint8Array;
  endChar: number;
  /** SYN framing with packet total and sequence (1-based). */
  packet?: { total: number; seq: number };
}

const HEX10 = /^[0-9A-Fa-f]{10}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

function stationBytes(station: string): Buffer {
  if (!HEX10.test(station)) throw new RangeError(`station address must be 10 hex digits: ${JSON.stringify(station)}`);
  return Buffer.from(station, 'hex');
}

function passwordBytes(password: string | number): Buffer {
  const text = typeof password === 'number' ? password.toString(16).padStart(4, '0') : password;
  if (!HEX4.test(text)) throw new RangeError(`password must be 4 hex digits: ${JSON.stringify(password)}`);
  return Buffer.from(text, 'hex');
}

export function encodeSl651Frame(input: Sl651FrameInput): Buffer {
  const { direction, centre, functionCode, endChar, packet } = input;
  if (!Number.isInteger(centre) || centre < 0 || centre > 0xff) throw new RangeError(`centre address out of range: ${centre}`);
  const station = stationBytes(input.station);
  const packetBytes = packet === undefined ? Buffer.alloc(0) : Buffer.from([(packet.total >> 4) & 0xff, ((packet.total & 0x0f) << 4) | ((packet.seq >> 8) & 0x0f), packet.seq & 0xff]);
  const length = input.body.length + packetBytes.length;
  if (length > 0x0fff) throw new RangeError(`body of ${length} bytes exceeds the 12-bit length`);
  const addresses = direction === 'up' ? Buffer.concat([Buffer.from([centre]), station]) : Buffer.concat([station, Buffer.from([centre])]);
  const head = Buffer.alloc(4);
  head[0] = functionCode;
  head.writeUInt16BE(((direction === 'up' ? 0 : 8) << 12) | length, 1);
  head[3] = packet === undefined ? STX : SYN;
  const framed = Buffer.concat([Buffer.from([0x7e, 0x7e]), addresses, passwordBytes(input.password), head, packetBytes, input.body, Buffer.from([endChar])]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(sl651Crc(framed));
  return Buffer.concat([framed, crc]);
}

export interface Sl651AckInput {
  centre: number;
  station: string;
  password: string | number;
  /** Function code of the report being acknowledged. */
  functionCode: number;
  /** Serial of the report being acknowledged. */
  serial: number;
  /** The centre's clock. Default now. */
  sentAt?: Date;
  /** EOT (default), ESC, ACK or NAK. */
  endChar?: number;
  /** Minutes east of UTC for the send time. Default 480. */
  utcOffsetMinutes?: number;
}

/** The centre's downlink acknowledgement: STX + serial + send time + end char. */
export function encodeSl651Ack(input: Sl651AckInput): Buffer {
  const body = Buffer.concat([u16(input.serial), encodeSl651Time(input.sentAt ?? new Date(), input.utcOffsetMinutes ?? SL651_CST_OFFSET_MINUTES)]);
  return encodeSl651Frame({
    direction: 'down',
    centre: input.centre,
    station: input.station,
    password: input.password,
    functionCode: input.functionCode,
    body,
    endChar: input.endChar ?? EOT,
  });
}

/** One element of an uplink report. */
export interface Sl651ElementInput {
  /** Identifier key ('39', 'FF10'; 'F4'/'F5' arrays, '45' status). */
  key: string;
  /** Point value; null or omitted = invalid (sent as all FF). */
  value?: number | null;
  /** F4/F5: twelve values, null = invalid. */
  values?: ReadonlyArray<number | null>;
  /** 45 ZT status bits. */
  status?: number;
  /** N(digits, decimals); default from the element map. */
  digits?: number;
  decimals?: number;
}

export interface Sl651ReportInput {
  centre: number;
  station: string;
  password: string | number;
  /** 0x32 timed, 0x33 added, 0x34 hourly, … */
  functionCode: number;
  serial: number;
  sentAt: Date;
  /** Station class code (0x48 河道, 0x4B 水库, 0x50 降水, …). */
  stationClass: number;
  groups: ReadonlyArray<{ observedAt: Date; elements: ReadonlyArray<Sl651ElementInput> }>;
  /** Minutes east of UTC of the station clock. Default 480. */
  utcOffsetMinutes?: number;
  /** Default ETX. */
  endChar?: number;
}

export function encodeSl651ReportBody(input: Omit<Sl651ReportInput, 'centre' | 'password' | 'endChar'>): Buffer {
  const offset = input.utcOffsetMinutes ?? SL651_CST_OFFSET_MINUTES;
  const parts: Buffer[] = [u16(input.serial), encodeSl651Time(input.sentAt, offset), Buffer.from([0xf1, 0xf1]), stationBytes(input.station), Buffer.from([input.stationClass])];
  for (const group of input.groups) {
    parts.push(Buffer.from([0xf0, 0xf0]), encodeSl651Time(group.observedAt, offset, false));
    for (const element of group.elements) parts.push(encodeSl651Element(element));
  }
  return Buffer.concat(parts);
}

/** An uplink report frame (for simulators and tests). */
export function encodeSl651Report(input: Sl651ReportInput): Buffer {
  return encodeSl651Frame({
    direction: 'up',
    centre: input.centre,
    station: input.station,
    password: input.password,
    functionCode: input.functionCode,
    body: encodeSl651ReportBody(input),
    endChar: input.endChar ?? ETX,
  });
}

/** An uplink keep-alive (function 2F): serial + send time only. */
export function encodeSl651KeepAlive(input: { centre: number; station: string; password: string | number; serial: number; sentAt: Date; utcOffsetMinutes?: number }): Buffer {
  return encodeSl651Frame({
    direction: 'up',
    centre: input.centre,
    station: input.station,
    password: input.password,
    functionCode: SL651_FUNCTION.KEEP_ALIVE,
    body: Buffer.concat([u16(input.serial), encodeSl651Time(input.sentAt, input.utcOffsetMinutes ?? SL651_CST_OFFSET_MINUTES)]),
    endChar: ETX,
  });
}

/** Identifier + definition byte + value. */
export function encodeSl651Element(element: Sl651ElementInput): Buffer {
  const key = element.key.toUpperCase();
  if (!/^([0-9A-F]{2}|FF[0-9A-F]{2})$/.test(key)) throw new RangeError(`element key must be 2 hex digits or FF + 2: ${element.key}`);
  const id = Buffer.from(key, 'hex');
  const withDefinition = (bytes: number, decimals: number, data: Buffer): Buffer => {
    if (bytes > 31) throw new RangeError(`element ${key}: ${bytes} bytes do not fit the definition byte`);
    return Buffer.concat([id, Buffer.from([(bytes << 3) | decimals]), data]);
  };

  if (key === 'F4' || key === 'F5') {
    const values = element.values ?? [];
    if (values.length !== 12) throw new RangeError(`element ${key} needs 12 values`);
    const wide = key === 'F5';
    const data = Buffer.alloc(wide ? 24 : 12);
    values.forEach((v, i) => {
      const raw = v === null ? (wide ? 0xffff : 0xff) : Math.round(v * (wide ? 100 : 10));
      if (raw < 0 || raw > (wide ? 0xffff : 0xff)) throw new RangeError(`element ${key} value ${v} out of range`);
      if (wide) data.writeUInt16BE(raw, i * 2);
      else data[i] = raw;
    });
    return withDefinition(data.length, 0, data);
  }
  if (key === '45') {
    const data = Buffer.alloc(4);
    data.writeUInt32BE((element.status ?? 0) >>> 0);
    return withDefinition(4, 0, data);
  }

  const info = SL651_ELEMENT_MAP[key];
  const digits = element.digits ?? info?.digits;
  const decimals = element.decimals ?? info?.decimals;
  if (digits === undefined || decimals === undefined) throw new RangeError(`element ${key}: digits and decimals needed (not in the element map)`);
  if (decimals > 7) throw new RangeError(`element ${key}: at most 7 decimals`);
  const bytes = Math.ceil(digits / 2);
  if (element.value === null || element.value === undefined) return withDefinition(bytes, decimals, Buffer.alloc(bytes, 0xff));
  const scaled = Math.round(Math.abs(element.value) * 10 ** decimals);
  const text = String(scaled).padStart(bytes * 2, '0');
  if (text.length > bytes * 2) throw new RangeError(`element ${key} value ${element.value} does not fit N(${digits},${decimals})`);
  // A negative value gets a leading FF byte, counted in the definition's byte count.
  return element.value < 0 && scaled !== 0
    ? withDefinition(bytes + 1, decimals, Buffer.concat([Buffer.from([0xff]), encodeBcd(text)]))
    : withDefinition(bytes, decimals, encodeBcd(text));
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}
