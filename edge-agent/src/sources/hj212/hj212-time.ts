/**
 * HJ 212 timestamps (`DataTime=YYYYMMDDhhmmss`, `QN=YYYYMMDDhhmmsszzz`, docs/standards/hj212.md §1.4/§1.6)
 * carry no zone: they are the logger's local clock, China Standard Time (UTC+8) in practice.
 * The offset is a parameter so a logger set to another zone (or to UTC) can be configured.
 */

import { CST_OFFSET_MINUTES, fromLocalClock, pad, toLocalClock } from '../local-clock.ts';

export { CST_OFFSET_MINUTES };

const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/;

/** Parses a 14-digit DataTime or 17-digit QN; undefined when malformed or not a real date. */
export function parseHj212Time(text: string, utcOffsetMinutes = CST_OFFSET_MINUTES): Date | undefined {
  const m = STAMP.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return fromLocalClock({ year, month, day, hour, minute, second, ms: m[7] === undefined ? 0 : Number(m[7]) }, utcOffsetMinutes);
}

/** Formats `date` as the logger's local `YYYYMMDDhhmmss` (or with `zzz` ms for a QN). */
export function formatHj212Time(date: Date, utcOffsetMinutes = CST_OFFSET_MINUTES, withMs = false): string {
  const t = toLocalClock(date, utcOffsetMinutes);
  const base = pad(t.year, 4) + pad(t.month) + pad(t.day) + pad(t.hour) + pad(t.minute) + pad(t.second);
  return withMs ? base + pad(t.ms, 3) : base;
}
