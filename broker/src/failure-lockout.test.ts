import { test } from 'vitest';
import assert from 'node:assert/strict';
import { FailureLockout } from './failure-lockout.ts';

test('failure lockout: slowed from the second failure, locked at the limit, then open again', () => {
  const l = new FailureLockout({ maxFailures: 4, windowMs: 1000, lockoutMs: 5000, delayMs: 100 });
  assert.deepEqual(l.fail('ip:a', 0), { delayMs: 0, locked: false });
  assert.deepEqual(l.fail('ip:a', 10), { delayMs: 100, locked: false });
  assert.deepEqual(l.fail('ip:a', 20), { delayMs: 200, locked: false });
  assert.equal(l.lockedFor('ip:a', 20), 0);
  assert.deepEqual(l.fail('ip:a', 30), { delayMs: 400, locked: true });
  assert.equal(l.lockedFor('ip:a', 30), 5000);
  assert.equal(l.lockedFor('ip:b', 30), 0, 'other keys are not affected');
  l.succeed('ip:a', 40);
  assert.ok(l.lockedFor('ip:a', 40) > 0, 'a correct credential does not lift a lock');
  assert.equal(l.lockedFor('ip:a', 5030), 0);
});

test('failure lockout: failures outside the window do not count; success forgets them', () => {
  const l = new FailureLockout({ maxFailures: 3, windowMs: 1000, lockoutMs: 5000, delayMs: 0 });
  l.fail('d', 0);
  l.fail('d', 100);
  assert.equal(l.fail('d', 1500).locked, false, 'the first two fell out of the window');
  l.succeed('d', 1600);
  l.fail('d', 1700);
  assert.equal(l.fail('d', 1800).locked, false, 'counting started again after the success');
  assert.equal(l.fail('d', 1900).locked, true);
});

test('failure lockout: the delay is capped at 16× and the number of keys is bounded', () => {
  const l = new FailureLockout({ maxFailures: 100, windowMs: 10_000, lockoutMs: 1000, delayMs: 10, maxKeys: 50 });
  let last = 0;
  for (let i = 0; i < 20; i++) last = l.fail('k', i).delayMs;
  assert.equal(last, 160);
  for (let i = 0; i < 500; i++) l.fail(`flood-${i}`, i);
  assert.ok(l.size <= 50);
});
