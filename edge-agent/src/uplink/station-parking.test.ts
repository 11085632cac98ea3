/** Parking a child station the platform keeps refusing: careful sending, strikes, parking, retry doubling. */
import { test, expect } from 'vitest';
import { StationParking } from './station-parking.ts';

const options = { refusalsToPark: 3, parkRetryMs: 1000, refusalWindowMs: 5000 };

test('a child message lost in a drop makes sending careful (window 1) until that child is acknowledged', () => {
  const p = new StationParking(options);
  expect(p.window(8)).toBe(8);
  expect(p.connectionLost([{ station: 'c1', sentAt: 0 }, { station: undefined, sentAt: 0 }], 100)).toBeUndefined();
  expect(p.window(8)).toBe(1);
  p.acknowledged('c1');
  expect(p.window(8)).toBe(8);
});

test('three prompt drops in a row with only that child in flight park it; retries double up to a day', () => {
  const p = new StationParking(options);
  p.connectionLost([{ station: 'c1', sentAt: 0 }], 10); // careful now
  expect(p.connectionLost([{ station: 'c1', sentAt: 0 }], 10)).toBeUndefined();
  expect(p.connectionLost([{ station: 'c1', sentAt: 0 }], 10)).toBeUndefined();
  expect(p.connectionLost([{ station: 'c1', sentAt: 0 }], 10)).toEqual({ station: 'c1', strikes: 3, retryInMs: 1000 });
  expect(p.isParked('c1')).toBe(true);
  expect(p.window(8)).toBe(8);
  expect(p.unparkAll()).toEqual(['c1']);
  for (let i = 0; i < 3; i++) p.connectionLost([{ station: 'c1', sentAt: 0 }], 10);
  expect(p.connectionLost([{ station: 'c1', sentAt: 0 }], 10)).toMatchObject({ retryInMs: 2000 });
});

test('a slow drop (a dying link, not a refusal) is no strike; a station with no rows left is forgotten', () => {
  const p = new StationParking(options);
  p.connectionLost([{ station: 'c1', sentAt: 0 }], 10);
  for (let i = 0; i < 5; i++) expect(p.connectionLost([{ station: 'c1', sentAt: 0 }], 60_000)).toBeUndefined();
  expect(p.isParked('c1')).toBe(false);
  p.forgetGone(() => false);
  expect(p.window(8)).toBe(8);
});
