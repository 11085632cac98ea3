import { expect, test } from 'vitest';
import { Backoff, backoffDelayMs } from './backoff.ts';

const policy = { minMs: 1000, maxMs: 16_000 };

test('delays double per retry between ½ and 1 of the ceiling, capped at maxMs', () => {
  const retries = [0, 1, 2, 3, 4, 5];
  expect(retries.map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  expect(retries.map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
  expect(backoffDelayMs(2, policy, () => 0.5)).toBe(3000);
});

test('random delays stay inside their band; a huge retry count stays finite', () => {
  for (let n = 0; n < 8; n++) {
    const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** n);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(n, policy);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  }
  expect(backoffDelayMs(10_000, policy, () => 1)).toBe(16_000);
  expect(backoffDelayMs(-3, policy, () => 1)).toBe(1000);
});

test('a maxMs below minMs means a constant ceiling of minMs', () => {
  expect(backoffDelayMs(5, { minMs: 2000, maxMs: 100 }, () => 1)).toBe(2000);
});

test('Backoff counts retries and starts over after a success', () => {
  const lo = new Backoff(policy, () => 0);
  const hi = new Backoff(policy, () => 1);
  expect([1, 2, 3, 4, 5, 6].map(() => lo.next())).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  expect([1, 2, 3, 4, 5, 6].map(() => hi.next())).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
  expect(hi.attempts).toBe(6);
  hi.reset();
  expect(hi.attempts).toBe(0);
  expect(hi.next()).toBe(1000);
});
