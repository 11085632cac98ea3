/**
 * The Redis lockout (RedisLockout) with a local mirror of its locks, so a CONNECT asks Redis
 * nothing when nothing is locked — the common case, and every CONNECT of a reconnect storm.
 * Failures are still counted in Redis, atomically across nodes; whichever node counts the failure
 * that locks a key (or first failure of a key, or lifts one) tells every node through `channel`
 * (pub/sub), and each node keeps what it heard. A node also reads every lock and failure counter
 * from Redis when it starts and every `rescanMs` after, in case it missed a message (a Redis
 * reconnect): a lock is seen everywhere within milliseconds, and at worst within `rescanMs`. A
 * key known to be failing is asked of Redis on every check, so its lock holds on every node at
 * once, before the notice arrives.
 */
import type { Redis } from 'ioredis';
import type { RedisLockout, SharedLockout } from './shared-lockout.ts';

/** Nodes' messages to each other: publish to all (this node too), and listen. */
export interface LockoutChannel {
  publish(text: string): void;
  subscribe(listener: (text: string) => void): void;
}

export interface MirroredLockoutOptions {
  /** The key prefix RedisLockout was given. */
  readonly prefix: string;
  readonly windowMs: number;
  readonly lockoutMs: number;
  /** How often every lock and failure counter is read again from Redis, ms. Default 10000. */
  readonly rescanMs?: number;
}

interface Notice {
  readonly k: string;
  /** Failures counted until (epoch ms). */
  readonly f?: number;
  /** Locked until (epoch ms). */
  readonly l?: number;
  /** Lifted or succeeded: forget the failures ('f') or both ('all'). */
  readonly c?: 'f' | 'all';
}

export class MirroredLockout implements SharedLockout {
  readonly #inner: RedisLockout;
  readonly #redis: Redis;
  readonly #channel: LockoutChannel;
  readonly #o: Required<MirroredLockoutOptions>;
  readonly #locks = new Map<string, number>();
  readonly #failing = new Map<string, number>();
  /** When a key's last notice arrived (a rescan that started before it does not undo it). */
  readonly #heardAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(inner: RedisLockout, redis: Redis, channel: LockoutChannel, options: MirroredLockoutOptions) {
    this.#inner = inner;
    this.#redis = redis;
    this.#channel = channel;
    this.#o = { rescanMs: 10_000, ...options };
  }

  /** Listens to the other nodes, then reads what Redis holds now; rescans every `rescanMs`. */
  async start(onError: (err: unknown) => void): Promise<void> {
    this.#channel.subscribe((text) => this.#hear(text));
    await this.#rescan();
    this.#timer = setInterval(() => void this.#rescan().catch(onError), this.#o.rescanMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async lockedFor(key: string): Promise<number> {
    const now = Date.now();
    const until = this.#locks.get(key);
    if (until !== undefined) {
      if (until > now) return until - now;
      this.#locks.delete(key);
    }
    // A key with failures counted lately may have been locked by another node a moment ago, its
    // notice still on the way: ask Redis. Keys nobody failed ask nothing.
    if ((this.#failing.get(key) ?? 0) > now) return this.#inner.lockedFor(key);
    return 0;
  }

  async fail(key: string): Promise<{ delayMs: number; locked: boolean }> {
    const result = await this.#inner.fail(key);
    const now = Date.now();
    const first = (this.#failing.get(key) ?? 0) <= now;
    if (result.locked) this.#say({ k: key, l: now + this.#o.lockoutMs, c: 'f' });
    else if (first) this.#say({ k: key, f: now + this.#o.windowMs });
    return result;
  }

  async succeed(key: string): Promise<void> {
    // Failures of this key counted anywhere were announced: none known, nothing to forget.
    if ((this.#failing.get(key) ?? 0) <= Date.now()) return;
    await this.#inner.succeed(key);
    this.#say({ k: key, c: 'f' });
  }

  async lift(key: string): Promise<boolean> {
    const locked = await this.#inner.lift(key);
    this.#say({ k: key, c: 'all' });
    return locked;
  }

  #say(n: Notice): void {
    this.#apply(n);
    this.#channel.publish(JSON.stringify(n));
  }

  #hear(text: string): void {
    try {
      this.#apply(JSON.parse(text) as Notice);
    } catch {
      // Not ours.
    }
  }

  #apply(n: Notice): void {
    if (typeof n.k !== 'string') return;
    this.#heardAt.set(n.k, Date.now());
    if (n.c === 'f' || n.c === 'all') this.#failing.delete(n.k);
    if (n.c === 'all') this.#locks.delete(n.k);
    if (typeof n.f === 'number') this.#failing.set(n.k, Math.max(n.f, this.#failing.get(n.k) ?? 0));
    if (typeof n.l === 'number') this.#locks.set(n.k, n.l);
  }

  async #rescan(): Promise<void> {
    const started = Date.now();
    const [locks, failing] = await Promise.all([this.#scan(`${this.#o.prefix}:l:`), this.#scan(`${this.#o.prefix}:f:`)]);
    // What Redis holds wins, except what was heard while reading it (newer than the scan).
    for (const [mirror, found] of [[this.#locks, locks], [this.#failing, failing]] as const) {
      for (const k of mirror.keys()) if (!found.has(k) && (this.#heardAt.get(k) ?? 0) < started) mirror.delete(k);
      for (const [k, until] of found) if ((this.#heardAt.get(k) ?? 0) < started) mirror.set(k, until);
    }
    for (const [k, at] of this.#heardAt) if (at < started) this.#heardAt.delete(k);
  }

  /** Keys under `prefix` with when they expire (epoch ms). */
  async #scan(prefix: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const now = Date.now();
      const ttls = await Promise.all(keys.map((k) => this.#redis.pttl(k)));
      keys.forEach((k, i) => {
        const ttl = ttls[i]!;
        if (ttl > 0) out.set(k.slice(prefix.length), now + ttl);
      });
    } while (cursor !== '0');
    return out;
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
