/**
 * A token bucket every node sees (per client address on the provisioning API, for instance):
 * `ratePerSec` sustained, `burst` at once, as an async contract with two backends — one
 * process's memory (RateLimiter) and Redis (one Lua script per take, atomic across nodes, the
 * bucket expiring once it would be full again). MQTT publishes keep a per-connection bucket
 * in memory (one connection per client id in the whole cluster) whose level follows a
 * reconnecting device to any node (create-broker.ts).
 */
import type { Redis } from 'ioredis';
import { RateLimiter } from './rate-limiter.ts';

export interface SharedRateLimit {
  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): Promise<boolean>;
}

export function memoryRateLimit(ratePerSec: number, burst: number): SharedRateLimit {
  const limiter = new RateLimiter(ratePerSec, burst);
  return { take: async (key) => limiter.take(key) };
}

// KEYS[1] bucket hash {tokens, at}. ARGV: now ms, rate per ms, burst. Returns 1 when a token was taken.
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return taken
`;

export class RedisRateLimit implements SharedRateLimit {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ratePerMs: number;
  readonly #burst: number;

  constructor(redis: Redis, prefix: string, ratePerSec: number, burst: number) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#ratePerMs = ratePerSec / 1000;
    this.#burst = burst;
  }

  async take(key: string): Promise<boolean> {
    const taken = await this.#redis.eval(TAKE_SCRIPT, 1, `${this.#prefix}:${key}`, Date.now(), this.#ratePerMs, this.#burst);
    return taken === 1;
  }
}
