/**
 * SL 651 report body (docs/standards/sl651.md §2.2) of functions 32 定时报, 33 加报, 34 小时报 and 2F 链路维持:
 *
 *   serial (2) · send time (6 BCD) · F1 F1 station (5) class (1) · F0 F0 observation time
 *   (5 BCD) · elements … (until the end char, i.e. the end of the body)
 *
 * Each element is identifier + definition byte (high 5 bits = byte count, low 3 = decimals)
 * + value. Elements are read in whatever order they come, and `F0 F0` may appear again to
 * start a new observation time: hourly reports put DRP/DRZ arrays and point values under
 * different times. Also handled, from field practice (⚠️ one public implementation each):
 * 'FF' + byte extension identifiers; a single F0/F1 without its repeat; all-FF (as well as
 * docs/standards/sl651.md §2.2's all-AA) values meaning "invalid"; the FF sign byte counting in the
 * definition's byte count; 45 ZT being HEX bits, not BCD.
 *
 * Invalid values (all FF / all AA) are kept in the report with `invalid: true` and no value,
 * and dropped from readings: there is no number to store, and a placeholder with quality
 * 'fault' would turn up in sums and averages that do not filter on quality.
 * Parsing never throws; a structurally broken body yields `{ ok: false }`.
 */
import { decodeBcd, parseSl651Time, SL651_CST_OFFSET_MINUTES } from './bcd.ts';
import { sl651ElementKey } from './element-map.ts';

export const SL651_FUNCTION = {
  KEEP_ALIVE: 0x2f,
  TEST: 0x30,
  TIMED: 0x32,
  ADDED: 0x33,
  HOURLY: 0x34,
} as const;

/** Station class codes (§2.2), e.g. 0x48 'H' 河道. */
export const SL651_STATION_CLASSES: Readonly<Record<number, string>> = {
  0x50: '降水',
  0x48: '河道',
  0x4b: '水库',
  0x5a: '闸坝',
  0x44: '泵站',
  0x54: '潮汐',
  0x4d: '墒情',
  0x47: '地下水',
  0x51: '水质',
  0x49: '取水口',
  0x4f: '排水口',
};

export interface Sl651Element {
  /** Identifier key: '39', or 'FF10' for an extension identifier. */
  readonly key: string;
  readonly definition: number;
  readonly bytes: number;
  readonly decimals: number;
  /** Point value in the element's unit; absent when invalid, malformed, or an array/status. */
  readonly value?: number;
  /** F4 DRP (mm) / F5 DRZ1 (m): twelve 5-minute values, null where the station sent FF / FFFF. */
  readonly values?: ReadonlyArray<number | null>;
  /** 45 ZT status and alarm bits. */
  readonly status?: number;
  /** The station marked the value invalid (all FF or all AA). */
  readonly invalid: boolean;
  /** Why the bytes could not be read (e.g. a nibble above 9); the value is skipped. */
  readonly malformed?: string;
}

export interface Sl651ObservationGroup {
  /** From the preceding `F0 F0`; undefined if absent or unreadable. */
  readonly observedAt: Date | undefined;
  readonly elements: Sl651Element[];
}

export interface Sl651Report {
  readonly functionCode: number;
  readonly serial: number;
  readonly sentAt: Date | undefined;
  /** From `F1 F1`: 10 uppercase hex digits. */
  station?: string;
  stationClass?: number;
  readonly groups: Sl651ObservationGroup[];
  /** F2 RGZS / F3 PIC: the raw bytes that follow (not decoded here). */
  attachment?: { readonly key: string; readonly bytes: Buffer };
  readonly notes: string[];
}

export type Sl651ReportResult =
  | { readonly ok: true; readonly report: Sl651Report }
  | { readonly ok: false; readonly code: 'EDGE_ERR_SL651_REPORT_INVALID'; readonly message: string };

export interface Sl651ReportOptions {
  /** Minutes east of UTC of the station clock. Default 480 (UTC+8). */
  utcOffsetMinutes?: number;
}

const TIME_LEAD = 0xf0;
const STATION_LEAD = 0xf1;
const MANUAL_LEAD = 0xf2;
const PICTURE_LEAD = 0xf3;
const EXTENSION_LEAD = 0xff;

export function parseSl651Report(body: Buffer, functionCode: number, options: Sl651ReportOptions = {}): Sl651ReportResult {
  const offset = options.utcOffsetMinutes ?? SL651_CST_OFFSET_MINUTES;
  if (body.length < 8) return { ok: false, code: 'EDGE_ERR_SL651_REPORT_INVALID', message: `body of ${body.length} bytes has no serial and send time` };
  const notes: string[] = [];
  const sentAt = parseSl651Time(body.subarray(2, 8), offset);
  if (sentAt === undefined) notes.push(`send time ${body.toString('hex', 2, 8)} is not a valid BCD time`);
  const report: Sl651Report = { functionCode, serial: body.readUInt16BE(0), sentAt, groups: [], notes };
  if (functionCode === SL651_FUNCTION.KEEP_ALIVE) {
    if (body.length > 8) notes.push(`${body.length - 8} unexpected bytes after the keep-alive send time`);
    return { ok: true, report };
  }

  let group: Sl651ObservationGroup | undefined;
  let pos = 8;
  while (pos < body.length) {
    const lead = body[pos] ?? 0;
    if (lead === STATION_LEAD) {
      pos += body[pos + 1] === STATION_LEAD ? 2 : 1;
      if (pos + 5 > body.length) return invalid(`station address cut short at byte ${pos}`);
      report.station = body.toString('hex', pos, pos + 5).toUpperCase();
      pos += 5;
      if (pos < body.length) report.stationClass = body[pos++];
      continue;
    }
    if (lead === TIME_LEAD) {
      pos += body[pos + 1] === TIME_LEAD ? 2 : 1;
      if (pos + 5 > body.length) return invalid(`observation time cut short at byte ${pos}`);
      const observedAt = parseSl651Time(body.subarray(pos, pos + 5), offset);
      if (observedAt === undefined) notes.push(`observation time ${body.toString('hex', pos, pos + 5)} is not a valid BCD time`);
      group = { observedAt, elements: [] };
      report.groups.push(group);
      pos += 5;
      continue;
    }
    if (lead === MANUAL_LEAD || lead === PICTURE_LEAD) {
      pos += body[pos + 1] === lead ? 2 : 1;
      report.attachment = { key: sl651ElementKey(lead), bytes: Buffer.from(body.subarray(pos)) };
      break;
    }

    let id = lead;
    pos++;
    if (lead === EXTENSION_LEAD) {
      if (pos >= body.length) return invalid('extension identifier cut short');
      id = 0xff00 | (body[pos++] ?? 0);
    }
    if (pos >= body.length) return invalid(`element ${sl651ElementKey(id)} has no definition byte`);
    const definition = body[pos++] ?? 0;
    const bytes = definition >> 3;
    if (pos + bytes > body.length) return invalid(`element ${sl651ElementKey(id)} needs ${bytes} bytes, ${body.length - pos} left`);
    const data = body.subarray(pos, pos + bytes);
    pos += bytes;
    if (group === undefined) {
      group = { observedAt: undefined, elements: [] };
      report.groups.push(group);
      notes.push('elements before any observation time (F0 F0)');
    }
    group.elements.push(decodeElement(id, definition, data));
  }
  return { ok: true, report };
}

function invalid(message: string): Sl651ReportResult {
  return { ok: false, code: 'EDGE_ERR_SL651_REPORT_INVALID', message };
}

function decodeElement(id: number, definition: number, data: Buffer): Sl651Element {
  const key = sl651ElementKey(id);
  const bytes = definition >> 3;
  const decimals = definition & 0x07;
  const base = { key, definition, bytes, decimals };
  if (bytes === 0) return { ...base, invalid: false, malformed: 'definition byte gives no data bytes' };

  if (key === 'F4') {
    // DRP: 12 × 1 byte HEX in 0.1 mm, FF invalid.
    return { ...base, invalid: false, values: [...data].map((b) => (b === 0xff ? null : b / 10)) };
  }
  if (key === 'F5') {
    // DRZ1: 12 × 2 bytes HEX in 0.01 m, FFFF invalid.
    if (bytes % 2 !== 0) return { ...base, invalid: false, malformed: 'DRZ1 needs an even byte count' };
    const values: Array<number | null> = [];
    for (let i = 0; i < bytes; i += 2) {
      const v = data.readUInt16BE(i);
      values.push(v === 0xffff ? null : v / 100);
    }
    return { ...base, invalid: false, values };
  }
  if (key === '45') {
    if (bytes > 6) return { ...base, invalid: false, malformed: 'ZT longer than 6 bytes' };
    return { ...base, invalid: false, status: data.readUIntBE(0, bytes) };
  }

  if (data.every((b) => b === 0xff) || data.every((b) => b === 0xaa)) return { ...base, invalid: true };
  const negative = data[0] === 0xff;
  const digits = decodeBcd(negative ? data.subarray(1) : data);
  if (digits === undefined || digits.length === 0) {
    return { ...base, invalid: false, malformed: `value ${data.toString('hex')} is not BCD` };
  }
  // Build the decimal text so the value is the double nearest to what the station meant.
  const text = decimals === 0 ? digits : `${digits.slice(0, digits.length - decimals) || '0'}.${digits.slice(-decimals).padStart(decimals, '0')}`;
  const magnitude = Number(text);
  return { ...base, invalid: false, value: negative ? -magnitude : magnitude };
}
