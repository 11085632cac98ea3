/**
 * BCD as SL 651 uses it (docs/standards/sl651.md §2.1/§2.2): two decimal digits per byte, high nibble first;
 * times are YYMMDDhhmm[ss] of the station's local clock (UTC+8 by default, 20YY).
 */

/** China Standard Time, minutes east of UTC. */
export const SL651_CST_OFFSET_MINUTES = 480;

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
  const parts = (digits.match(/\d\d/g) ?? []).map(Number);
  const [yy = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const year = 2000 + yy;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return new Date(local - utcOffsetMinutes * 60_000);
}

/** Date → 6 BCD bytes YYMMDDhhmmss (or 5, without seconds) of the local clock. */
export function encodeSl651Time(date: Date, utcOffsetMinutes = SL651_CST_OFFSET_MINUTES, withSeconds = true): Buffer {
  const local = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const digits =
    p(local.getUTCFullYear() % 100) +
    p(local.getUTCMonth() + 1) +
    p(local.getUTCDate()) +
    p(local.getUTCHours()) +
    p(local.getUTCMinutes()) +
    (withSeconds ? p(local.getUTCSeconds()) : '');
  return encodeBcd(digits);
}
