/**
 * The cluster's lockout mirror (broker/src/mirrored-lockout.ts) against a real Redis: a lock
 * another node set is refused here before its notice arrives, for a key this node knows is
 * failing. The notices between the two nodes go through a channel the test holds back.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { MirroredLockout, RedisLockout } from '@shanshui/broker';
import type { LockoutChannel } from '@shanshui/broker';
import { startRedisServer } from '../support/redis-server.ts';
import type { RedisServer } from '../support/redis-server.ts';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** Two nodes' channels: what A says reaches A at once, and B too unless held (a slow pub/sub) until `release()`. */
function heldChannels(): { a: LockoutChannel; b: LockoutChannel; hold: () => void; release: () => void } {
  const listeners: Array<((text: string) => void) | undefined> = [undefined, undefined];
  const held: string[] = [];
  let holding = false;
  return {
    a: {
      publish: (text) => {
        listeners[0]?.(text);
        if (holding) held.push(text);
        else listeners[1]?.(text);
      },
      subscribe: (l) => void (listeners[0] = l),
    },
    b: { publish: (text) => listeners[0]?.(text), subscribe: (l) => void (listeners[1] = l) },
    hold: () => void (holding = true),
    release: () => {
      holding = false;
      for (const text of held.splice(0)) listeners[1]?.(text);
    },
  };
}

test('a lock set on another node a moment ago is refused here before its notice arrives, for a key known to be failing', async () => {
  const options = { prefix: 'test:lockout', windowMs: 60_000, lockoutMs: 60_000, rescanMs: 3_600_000 };
  const channels = heldChannels();
  const a = new MirroredLockout(new RedisLockout(redis, options.prefix, { ...options, maxFailures: 3, delayMs: 0 }), redis, channels.a, options);
  const b = new MirroredLockout(new RedisLockout(redis, options.prefix, { ...options, maxFailures: 3, delayMs: 0 }), redis, channels.b, options);
  const onError = (err: unknown): void => {
    throw err;
  };
  await a.start(onError);
  await b.start(onError);
  try {
    const key = 'air-guessed@127.0.0.1';
    expect((await a.fail(key)).locked).toBe(false); // the first failure is announced: B knows the key is failing
    channels.hold(); // from here B hears nothing until released
    expect((await a.fail(key)).locked).toBe(false);
    expect((await a.fail(key)).locked).toBe(true);
    expect(await a.lockedFor(key)).toBeGreaterThan(0);
    expect(await b.lockedFor(key), 'B has not heard of the lock yet, and refuses all the same').toBeGreaterThan(0);
    expect(await b.lockedFor('other@127.0.0.1'), 'a key nobody failed asks nothing and is not locked').toBe(0);
    channels.release();
    expect(await b.lockedFor(key)).toBeGreaterThan(0);
  } finally {
    a.stop();
    b.stop();
  }
});
