/**
 * HJ 212 data segment ⇄ fields (docs/standards/hj212.md §1.4–§1.6).
 *
 * Parsing never throws: a segment that cannot be read comes back as `{ ok: false }` with the
 * fields that could be read, so a server can still echo QN/MN in a refusal.
 * Field keys are matched case-insensitively (`Flag`, `FLAG`, `flag` all occur in the wild);
 * field order is free except that CP comes last (§1.4 "order in practice").
 */
import { encodeHj212Frame } from './frame-encoder.ts';

/** HJ 212 §1.5 Flag = version×4 + D×2 + A. */
export interface Hj212Flag {
  readonly value: number;
  /** V5..V0: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025 (⚠️ docs/standards/hj212.md §1.0). */
  readonly version: number;
  /** A bit: the sender wants a reply. */
  readonly ackWanted: boolean;
  /** D bit: split packet, PNUM/PNO present. */
  readonly split: boolean;
}

/** Version names and their Flag version bits (docs/standards/hj212.md §1.0). */
export const HJ212_VERSION_BITS = { '2005': 0, '2017': 1, '2025': 2 } as const;
export type Hj212Version = keyof typeof HJ212_VERSION_BITS;

/** CP content (§1.6). Factor fields are grouped by factor code: `a34004-Rtd=1` → factors.a34004.Rtd. */
export interface Hj212Cp {
  /** `DataTime=YYYYMMDDhhmmss`, as sent (local time of the logger). */
  dataTime?: string;
  /** Keys without a factor code: QnRtn, ExeRtn, RtdInterval, SystemTime, … */
  params: Record<string, string>;
  /** factor code → suffix (Rtd, Avg, Flag, …) → value, in order of appearance. */
  factors: Record<string, Record<string, string>>;
}

export interface Hj212Packet {
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  /** Absent on some HJ/T 212-2005 loggers. */
  flag?: Hj212Flag;
  pnum?: number;
  pno?: number;
  cp: Hj212Cp;
  /** Every field before CP as sent, keys uppercased. */
  fields: Record<string, string>;
}

export type Hj212PacketResult =
  | { readonly ok: true; readonly packet: Hj212Packet }
  | {
      readonly ok: false;
      readonly code: 'EDGE_ERR_HJ212_PACKET_INVALID';
      readonly message: string;
      /** Fields before CP that could be read, keys uppercased. */
      readonly fields: Record<string, string>;
    };

export function decodeHj212Flag(value: number): Hj212Flag {
  return { value, version: value >> 2, ackWanted: (value & 1) === 1, split: (value & 2) === 2 };
}

export function encodeHj212Flag(flag: { version: number; ackWanted?: boolean; split?: boolean }): number {
  return (flag.version << 2) | (flag.split ? 2 : 0) | (flag.ackWanted ? 1 : 0);
}

const CP_START = 'CP=&&';
const INT = /^\d{1,9}$/;

/**
 * Splits the fields before CP; tolerant of a trailing or doubled `;`. Keys are uppercased, so
 * none can name an Object.prototype member (each of those has a lowercase letter): unlike CP keys,
 * they need no reserved-name check.
 */
function readFields(head: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of head.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    fields[part.slice(0, eq).trim().toUpperCase()] = part.slice(eq + 1).trim();
  }
  return fields;
}

/** Reads the fields before CP even when the rest is broken (for refusals that echo QN/MN). */
export function readHj212Fields(data: string): Record<string, string> {
  const cpAt = data.toUpperCase().indexOf(CP_START);
  return readFields(cpAt < 0 ? data : data.slice(0, cpAt));
}

export function parseHj212Packet(data: string): Hj212PacketResult {
  const cpAt = data.toUpperCase().indexOf(CP_START);
  const fields = readFields(cpAt < 0 ? data : data.slice(0, cpAt));
  const fail = (message: string): Hj212PacketResult => ({ ok: false, code: 'EDGE_ERR_HJ212_PACKET_INVALID', message, fields });

  if (cpAt < 0) return fail('no CP=&& field');
  let cpText = data.slice(cpAt + CP_START.length);
  if (!cpText.endsWith('&&')) return fail('CP is not closed by &&');
  cpText = cpText.slice(0, -2);

  const st = fields.ST;
  const cn = fields.CN;
  const mn = fields.MN;
  if (!st) return fail('ST missing');
  if (!cn) return fail('CN missing');
  if (!mn) return fail('MN missing');

  let flag: Hj212Flag | undefined;
  if (fields.FLAG !== undefined) {
    if (!INT.test(fields.FLAG)) return fail(`Flag ${JSON.stringify(fields.FLAG)} is not an integer`);
    flag = decodeHj212Flag(Number(fields.FLAG));
  }
  const { cp, reservedKey } = readCp(cpText);
  if (reservedKey !== undefined) return fail(`CP key ${JSON.stringify(reservedKey)} names a reserved object property`);
  const packet: Hj212Packet = { st, cn, pw: fields.PW ?? '', mn, cp, fields };
  if (fields.QN !== undefined) packet.qn = fields.QN;
  if (flag) packet.flag = flag;
  for (const key of ['PNUM', 'PNO'] as const) {
    const text = fields[key];
    if (text === undefined) continue;
    if (!INT.test(text)) return fail(`${key} ${JSON.stringify(text)} is not an integer`);
    if (key === 'PNUM') packet.pnum = Number(text);
    else packet.pno = Number(text);
  }
  return { ok: true, packet };
}

/**
 * Names a CP key must not use as a factor code, suffix or parameter. The CP maps are plain
 * objects, and these names reach shared built-ins instead of an own property: `__proto__-Flag=X`
 * would make `factors['__proto__']` Object.prototype itself and set Flag on every object in the
 * agent (quality flags of later readings, configured device passwords), `toString-Flag=X` would
 * write onto the shared Object.prototype.toString function, `constructor-Flag=X` onto Object.
 * `prototype` is not inherited by plain objects; it is refused with the rest because no HJ 212
 * code, suffix or parameter is named so and it is the other classic pollution key.
 * The packet arrives before any PW check and the CRC is only a checksum, so any peer able to
 * reach the port controls these keys.
 */
const RESERVED_CP_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** §1.6: `;` between factors, `,` within a factor, `code-Suffix=value`, `DataTime=…`. */
function readCp(text: string): { cp: Hj212Cp; reservedKey?: string } {
  const cp: Hj212Cp = { params: {}, factors: {} };
  let reservedKey: string | undefined;
  for (const group of text.split(';')) {
    for (const item of group.split(',')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const key = item.slice(0, eq).trim();
      const value = item.slice(eq + 1).trim();
      // Suffixes never contain '-'; factor codes in the wild occasionally do.
      const dash = key.lastIndexOf('-');
      if (key.toLowerCase() === 'datatime') cp.dataTime = value;
      else if (dash > 0 && dash < key.length - 1) {
        const code = key.slice(0, dash);
        const suffix = key.slice(dash + 1);
        if (RESERVED_CP_NAMES.has(code) || RESERVED_CP_NAMES.has(suffix)) {
          reservedKey ??= key;
          continue;
        }
        // Safe as a plain lookup: a code naming an inherited member was refused just above.
        const factor = (cp.factors[code] ??= {});
        factor[suffix] = value;
      } else if (RESERVED_CP_NAMES.has(key)) reservedKey ??= key;
      else cp.params[key] = value;
    }
  }
  return reservedKey === undefined ? { cp } : { cp, reservedKey };
}

/**
 * CP content without the `&&` fences. A key naming a reserved object property (`__proto__-Flag`,
 * `constructor`, …) is left out; `parseHj212Packet` refuses a packet carrying one.
 */
export function parseHj212Cp(text: string): Hj212Cp {
  return readCp(text).cp;
}

/** Input for encoding CP: like `Hj212Cp` but every part optional. */
export interface Hj212CpInput {
  dataTime?: string;
  params?: Record<string, string | number>;
  factors?: Record<string, Record<string, string | number>>;
}

/** DataTime first, then parameters, then factors (the order of the verified packets, §1.3). */
export function encodeHj212Cp(cp: Hj212CpInput): string {
  const groups: string[] = [];
  if (cp.dataTime !== undefined) groups.push(`DataTime=${cp.dataTime}`);
  for (const [key, value] of Object.entries(cp.params ?? {})) groups.push(`${key}=${value}`);
  for (const [code, fields] of Object.entries(cp.factors ?? {})) {
    groups.push(Object.entries(fields).map(([suffix, value]) => `${code}-${suffix}=${value}`).join(','));
  }
  return groups.join(';');
}

export interface Hj212PacketFields {
  /** Request id `YYYYMMDDhhmmsszzz`; omitted when undefined. */
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  /** The Flag value, or its parts. */
  flag: number | { version: number; ackWanted?: boolean; split?: boolean };
  pnum?: number;
  pno?: number;
  /** CP content without the `&&` fences, or its parts. Default empty (`CP=&&&&`). */
  cp?: string | Hj212CpInput;
}

/** The data segment, fields in the §1.4 order: QN;ST;CN;PW;MN;Flag;[PNUM;PNO;]CP=&&…&&. */
export function encodeHj212Data(fields: Hj212PacketFields): string {
  const parts: string[] = [];
  if (fields.qn !== undefined) parts.push(`QN=${fields.qn}`);
  parts.push(`ST=${fields.st}`, `CN=${fields.cn}`, `PW=${fields.pw}`, `MN=${fields.mn}`);
  parts.push(`Flag=${typeof fields.flag === 'number' ? fields.flag : encodeHj212Flag(fields.flag)}`);
  if (fields.pnum !== undefined) parts.push(`PNUM=${fields.pnum}`);
  if (fields.pno !== undefined) parts.push(`PNO=${fields.pno}`);
  const cp = typeof fields.cp === 'string' ? fields.cp : encodeHj212Cp(fields.cp ?? {});
  parts.push(`CP=&&${cp}&&`);
  return parts.join(';');
}

/** The full frame: `##` + length + data + uppercase CRC + `\r\n`. */
export function encodeHj212Packet(fields: Hj212PacketFields): string {
  return encodeHj212Frame(encodeHj212Data(fields));
}
