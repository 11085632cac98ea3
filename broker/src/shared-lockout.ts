/**
 * A brute-force lockout every node sees: the same rules as FailureLockout (failures counted in a
 * window, answers slowed, `maxFailures` lock the key for `lockoutMs`, even good credentials
 * refused while locked), as an async contract with two backends — one process's memory
 * (FailureLockout) and Redis (one Lua script per failure, atomic across nodes: 10 bad secrets
 * spread over 3 nodes lock the device exactly as 10 on one node do).
 */
import type { Redis } from 'ioredis';
import { FAILURE_LOCKOUT_DEFAULTS, FailureLockout } from './failure-lockout.ts';
import type { FailureLockoutOptions } from './failure-lockout.ts';

export interface SharedLockout {
  /** Milliseconds `key` stays locked; 0 when it is not locked. */
  lockedFor(key: string): Promise<number>;
  /** Records a failed attempt: how long to delay its answer, and whether this failure locked the key. */
  fail(key: string): Promise<{ delayMs: number; locked: boolean }>;
  /** A correct credential: the key's failures are forgotten (a lock stands until it ends). */
  succeed(key: string): Promise<void>;
  /** An operator lifts `key`'s lock and forgets its failures; true when it was locked. */
  lift(key: string): Promise<boolean>;
}

/** One process's lockout (the single-node default) behind the shared contract. */
export function memoryLockout(options: Partial<FailureLockoutOptions>): SharedLockout {
  const lockout = new FailureLockout(options);
  return {
    lockedFor: async (key) => lockout.lockedFor(key),
    fail: async (key) => lockout.fail(key),
    succeed: async (key) => lockout.succeed(key),
    lift: async (key) => lockout.lift(key),
  };
}

// KEYS[1] failures (sorted set: time → unique member), KEYS[2] lock (string with a PX expiry).
// ARGV: now ms, window ms, max failures, lockout ms, unique member. Returns {failures, lockedNow}.
const FAIL_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[5])
local n = redis.call('ZCARD', KEYS[1])
if n > max then
  redis.call('ZPOPMIN', KEYS[1], n - max)
  n = max
end
redis.call('PEXPIRE', KEYS[1], window)
if n >= max and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
  return {n, 1}
end
return {n, 0}
`;

/** Lockout state in Redis under `{prefix}:f:{key}` (failures) and `{prefix}:l:{key}` (lock), both expiring on their own. */
export class RedisLockout implements SharedLockout {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #o: FailureLockoutOptions;
  #seq = 0;

  constructor(redis: Redis, prefix: string, options: Partial<FailureLockoutOptions> = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#o = { ...FAILURE_LOCKOUT_DEFAULTS, ...options };
  }

  async lockedFor(key: string): Promise<number> {
    const ms = await this.#redis.pttl(`${this.#prefix}:l:${key}`);
    return ms > 0 ? ms : 0;
  }

  async fail(key: string): Promise<{ delayMs: number; locked: boolean }> {
    const now = Date.now();
    const member = `${now}-${process.pid}-${++this.#seq}-${Math.random().toString(36).slice(2, 8)}`;
    const [n, lockedNow] = (await this.#redis.eval(
      FAIL_SCRIPT,
      2,
      `${this.#prefix}:f:${key}`,
      `${this.#prefix}:l:${key}`,
      now,
      this.#o.windowMs,
      this.#o.maxFailures,
      this.#o.lockoutMs,
      member,
    )) as [number, number];
    const delayMs = n < 2 || this.#o.delayMs === 0 ? 0 : this.#o.delayMs * 2 ** Math.min(n - 2, 4);
    return { delayMs, locked: lockedNow === 1 };
  }

  async succeed(key: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}:f:${key}`);
  }

  async lift(key: string): Promise<boolean> {
    const locked = await this.lockedFor(key);
    await this.#redis.del(`${this.#prefix}:f:${key}`, `${this.#prefix}:l:${key}`);
    return locked > 0;
  }
}
