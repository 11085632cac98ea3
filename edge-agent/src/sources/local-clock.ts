/**
 * Field devices stamp readings with their local clock and no zone (HJ 212 `DataTime`, SL 651
 * observation times: China Standard Time in practice). These convert between such wall-clock
 * fields and instants, given the clock's offset from UTC. No I/O.
 */

/** China Standard Time, minutes east of UTC. */
export const CST_OFFSET_MINUTES = 480;

export interface LocalClockFields {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms?: number;
}

/** The instant a clock `utcOffsetMinutes` east of UTC shows as `fields`; undefined when that is no real time (Feb 30, 24:00…). */
export function fromLocalClock(fields: LocalClockFields, utcOffsetMinutes: number): Date | undefined {
  const { year, month, day, hour, minute, second, ms = 0 } = fields;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  // Date.UTC rolls 2024-02-30 over to March; a real device clock never says that.
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

/** What a clock `utcOffsetMinutes` east of UTC shows at `date`. */
export function toLocalClock(date: Date, utcOffsetMinutes: number): Required<LocalClockFields> {
  const local = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    ms: local.getUTCMilliseconds(),
  };
}

/** `n` in decimal, zero-padded to `width` digits. */
export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
