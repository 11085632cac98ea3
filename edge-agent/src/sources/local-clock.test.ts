/** Device wall clocks (no zone) ↔ instants. */
import { test, expect } from 'vitest';
import { CST_OFFSET_MINUTES, fromLocalClock, pad, toLocalClock } from './local-clock.ts';

test('China Standard Time 08:00 is 00:00 UTC; milliseconds kept', () => {
  expect(fromLocalClock({ year: 2026, month: 5, day: 1, hour: 8, minute: 0, second: 0, ms: 5 }, CST_OFFSET_MINUTES)?.toISOString()).toBe('2026-05-01T00:00:00.005Z');
  expect(fromLocalClock({ year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, 0)?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
});

test('no real time (Feb 30, 24:00, 60 s) is undefined, not rolled over', () => {
  expect(fromLocalClock({ year: 2024, month: 2, day: 30, hour: 0, minute: 0, second: 0 }, 480)).toBeUndefined();
  expect(fromLocalClock({ year: 2024, month: 2, day: 29, hour: 24, minute: 0, second: 0 }, 480)).toBeUndefined();
  expect(fromLocalClock({ year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 60 }, 480)).toBeUndefined();
});

test('toLocalClock is the inverse, across a day boundary', () => {
  const t = new Date('2026-12-31T20:30:15.250Z');
  const local = toLocalClock(t, 480);
  expect(local).toEqual({ year: 2027, month: 1, day: 1, hour: 4, minute: 30, second: 15, ms: 250 });
  expect(fromLocalClock(local, 480)?.getTime()).toBe(t.getTime());
  expect(pad(7) + pad(7, 4)).toBe('070007');
});
