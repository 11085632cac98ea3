/**
 * The one Redis client (ioredis) of a cluster node, and what aedes builds on it to be one broker
 * across nodes: mqemitter-redis (fan-out — a platform publish on any node reaches the device on
 * whichever node holds its connection, and aedes' `$SYS/+/new/clients` takeover closes an older
 * session on another node — told to that node only: redis-session-owners.ts; device downlinks
 * on one pattern per node: device-downlink-pattern.ts)
 * and aedes-persistence-redis (subscriptions, retained config, QoS 1 queues of every node; wills
 * in a hash of our own: redis-wills.ts). Lockouts and reconnect rate buckets use the same client.
 * Every consumer gets its own connection (`duplicate()`: subscribe mode and blocking calls must
 * not share one), all with the same URL, TLS and password.
 */
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import type { Logger } from 'pino';
import { urlForLog } from '@shanshui/models';
import { routeDeviceDownlinksByPattern } from './device-downlink-pattern.ts';
import { keepWillsInHash } from './redis-wills.ts';
import { lookUpRetainedAtOnce } from './redis-retained-lookup.ts';
import { redisSessionOwners } from './redis-session-owners.ts';
import type { SessionOwners } from './redis-session-owners.ts';

export interface RedisLink {
  /** Commands (lockouts, rate buckets). */
  readonly redis: Redis;
  /** aedes' emitter across nodes. */
  readonly mq: ReturnType<typeof mqemitterRedis>;
  /** aedes' persistence across nodes. */
  readonly persistence: ReturnType<typeof aedesPersistenceRedis>;
  /** Which node holds each device's session: takeover notices go to that node only. */
  readonly sessionOwners: SessionOwners;
  close(): Promise<void>;
}

/** Connects to `url` (`redis://[:password@]host:port[/db]`, `rediss://` for TLS); resolves once Redis answers. */
export async function connectRedisLink(url: string, logger: Logger): Promise<RedisLink> {
  const log = logger.child({ component: 'redis' });
  // Commands queue while disconnected and are retried on reconnect; a dead Redis must not wedge
  // a CONNECT forever, so each command gives up after a few reconnects.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: true });
  let lastError = '';
  const onError = (err: Error): void => {
    if (err.message !== lastError) log.warn({ err }, 'redis connection error');
    lastError = err.message;
  };
  redis.on('error', onError);
  await redis.connect();
  await redis.ping();
  // Connected (ready) before use: a subscriber connection that connects lazily, on its first
  // SUBSCRIBE, can be in subscriber mode when ioredis' ready check sends INFO (an uncaught error).
  const duplicate = async (): Promise<Redis> => {
    const conn = redis.duplicate();
    conn.on('error', onError);
    await conn.connect();
    return conn;
  };
  const [subConn, pubConn, persistenceConn, ownersConn] = await Promise.all([duplicate(), duplicate(), duplicate(), duplicate()]);
  const mq = mqemitterRedis({ subConn, pubConn });
  await routeDeviceDownlinksByPattern(mq, subConn);
  const persistence = aedesPersistenceRedis({ conn: persistenceConn });
  keepWillsInHash(persistence, persistenceConn);
  lookUpRetainedAtOnce(persistence, persistenceConn);
  const sessionOwners = redisSessionOwners(redis, ownersConn);
  log.info({ url: urlForLog(url) }, 'cluster link to redis up');
  let closed = false;
  return {
    redis,
    mq,
    persistence,
    sessionOwners,
    async close() {
      if (closed) return;
      closed = true;
      await persistence.destroy().catch(() => undefined);
      // The emitter's own two connections (subscriber and publisher) end with it.
      await new Promise<void>((resolve) => mq.close(() => resolve()));
      sessionOwners.close();
      redis.disconnect();
    },
  };
}
