/** The optional drain cap: none → never waits; a rate → a token bucket. */
import { test, expect } from 'vitest';
import { DrainCap } from './drain-cap.ts';

test('without a rate the backlog never waits', () => {
  const cap = new DrainCap(undefined, 0);
  for (let i = 0; i < 100; i++) {
    expect(cap.waitMs(0)).toBe(0);
    cap.spend();
  }
});

test('with 10 messages/s: one at once, then one per 100 ms', () => {
  const cap = new DrainCap(10, 0);
  expect(cap.waitMs(0)).toBe(0);
  cap.spend();
  expect(cap.waitMs(0)).toBe(100);
  expect(cap.waitMs(50)).toBe(50);
  expect(cap.waitMs(100)).toBe(0);
  cap.spend();
  cap.setRate(undefined);
  expect(cap.waitMs(100)).toBe(0);
});
