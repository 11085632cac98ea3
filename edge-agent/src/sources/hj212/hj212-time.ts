/**
 * HJ 212 timestamps (`DataTime=YYYYMMDDhhmmss`, `QN=YYYYMMDDhhmmsszzz`, docs/standards/hj212.md §1.4/§1.6)
 * carry no zone: they are the logger's local clock, China Standard Time (UTC+8) in practice.
 * The offset is a parameter so a logger set to another zone (or to UTC) can be configured.
 */

/** China Standard Time, minutes east of UTC. */
export const CST_OFFSET_MINUTES = 480;

const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/;

/** Parses a 14-digit DataTime or 17-digit QN; undefined when malformed or not a real date. */
export function parseHj212Time(text: string, utcOffsetMinutes = CST_OFFSET_MINUTES): Date | undefined {
  const m = STAMP.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7]);
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  // Date.UTC rolls 2024-02-30 over to March; a real logger clock never says that.
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

/** Formats `date` as the logger's local `YYYYMMDDhhmmss` (or with `zzz` ms for a QN). */
export function formatHj212Time(date: Date, utcOffsetMinutes = CST_OFFSET_MINUTES, withMs = false): string {
  const local = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const base =
    p(local.getUTCFullYear(), 4) +
    p(local.getUTCMonth() + 1) +
    p(local.getUTCDate()) +
    p(local.getUTCHours()) +
    p(local.getUTCMinutes()) +
    p(local.getUTCSeconds());
  return withMs ? base + p(local.getUTCMilliseconds(), 3) : base;
}
