/**
 * aedes-persistence-redis ships no types. Its default export wraps the async class in
 * aedes-persistence's CallBackPersistence (async `setup`, which aedes 1.x requires, and streams
 * where aedes pipes), so that is the one aedes takes.
 */
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  interface AedesPersistenceRedisOptions {
    /** A connection made by the caller (ours: a duplicate of the node's one client). */
    conn?: Redis;
    /** Most queued offline messages delivered on CONNECT. Default 1000. */
    maxSessionDelivery?: number;
    /** Offline message time to live, seconds (0 = none). */
    packetTTL?: (packet: unknown) => number;
  }
  interface AedesPersistenceRedis {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }
  function aedesPersistenceRedis(options?: AedesPersistenceRedisOptions): AedesPersistenceRedis;
  export default aedesPersistenceRedis;
}
