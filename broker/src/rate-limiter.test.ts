import { test } from 'vitest';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limiter.ts';

test('rate limiter: a burst, then the sustained rate; reconnecting does not refill a short bucket', () => {
  const l = new RateLimiter(10, 5);
  for (let i = 0; i < 5; i++) assert.ok(l.take('gw', 1, 0), `burst ${i}`);
  assert.equal(l.take('gw', 1, 0), false, 'burst spent');
  l.forgetIfFull('gw', 50); // disconnects 50 ms later: half a token back, not a full bucket
  assert.equal(l.take('gw', 1, 60), false, 'the reconnected device gets no fresh burst');
  assert.ok(l.take('gw', 1, 200), 'tokens come back at the sustained rate');
  l.forgetIfFull('gw', 10_000); // long since refilled: forgotten (memory), nothing lost by it
  for (let i = 0; i < 5; i++) assert.ok(l.take('gw', 1, 10_001));
});
