import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ReconnectBackoff } from './reconnect-backoff.ts';

test('delays grow exponentially with jitter up to the maximum, and reset after a success', () => {
  const lo = new ReconnectBackoff(1000, 16_000, () => 0);
  const hi = new ReconnectBackoff(1000, 16_000, () => 1);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => lo.next()), [500, 1000, 2000, 4000, 8000, 8000]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => hi.next()), [1000, 2000, 4000, 8000, 16000, 16000]);
  hi.reset();
  assert.equal(hi.next(), 1000);
});
