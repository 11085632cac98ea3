/**
 * BCD as SL 651 uses it (docs/standards/sl651.md §2.1/§2.2): two decimal digits per byte, high nibble first;
 * times are YYMMDDhhmm[ss] of the station's local clock (UTC+8 by default, 20YY).
 */

import { CST_OFFSET_MINUTES, fromLocalClock, pad, toLocalClock } from '../local-clock.ts';

/** China Standard Time, minutes east of UTC. */
export const SL651_CST_OFFSET_MINUTES = CST_OFFSET_MINUTES;

/** The decimal digits of `bytes`, or undefined if a nibble is not 0–9. */
export function decodeBcd(bytes: Uint8Array): string | undefined {
  let digits = '';
  for (const b of bytes) {
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    digits += String(hi) + String(lo);
  }
  return digits;
}

/** `digits` (even count, 0–9 only) as BCD bytes. */
export function encodeBcd(digits: string): Buffer {
  if (digits.length % 2 !== 0 || !/^\d*$/.test(digits)) throw new RangeError(`not an even run of decimal digits: ${JSON.stringify(digits)}`);
  return Buffer.from(digits, 'hex');
}

/** 5 (YYMMDDhhmm) or 6 (YYMMDDhhmmss) BCD bytes → Date; undefined if not BCD or not a real time. */
export function parseSl651Time(bytes: Uint8Array, utcOffsetMinutes = SL651_CST_OFFSET_MINUTES): Date | undefined {
  if (bytes.length !== 5 && bytes.length !== 6) return undefined;
  const digits = decodeBcd(bytes);
  if (digits === undefined) return undefined;
  const [yy = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = (digits.match(/\d\d/g) ?? []).map(Number);
  return fromLocalClock({ year: 2000 + yy, month, day, hour, minute, second }, utcOffsetMinutes);
}

/** Date → 6 BCD bytes YYMMDDhhmmss (or 5, without seconds) of the local clock. */
export function encodeSl651Time(date: Date, utcOffsetMinutes = SL651_CST_OFFSET_MINUTES, withSeconds = true): Buffer {
  const t = toLocalClock(date, utcOffsetMinutes);
  return encodeBcd(pad(t.year % 100) + pad(t.month) + pad(t.day) + pad(t.hour) + pad(t.minute) + (withSeconds ? pad(t.second) : ''));
}
