/**
 * Retained messages for a SUBSCRIBE asked of Redis in one command. aedes-persistence-redis asks
 * one HGET per exact topic filter, one after the other: a device subscribing to its config and
 * command topics cost two round trips per CONNECT, in a reconnect storm 2 × 100,000. Here one
 * HMGET asks for every exact filter at once; the filters that have a retained message (few: a
 * station's pushed config) and any wildcard filter then go through the library's own lookup,
 * which decodes them as it stored them. A message matched by several filters comes once.
 */
import type { Redis } from 'ioredis';

/** aedes-persistence-redis keeps every retained message in this hash, topic → packet (without Redis Cluster). */
const RETAINED = 'retained';

interface RetainedPacket {
  readonly topic: string;
}

interface RetainedMethods {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<RetainedPacket>;
}

const hasWildcard = (pattern: string): boolean => pattern.includes('+') || pattern.includes('#');

/** Replaces `createRetainedStreamCombi` of `persistence` (aedes-persistence-redis' default export) with the one above, on `conn`. */
export function lookUpRetainedAtOnce(persistence: object, conn: Redis): void {
  const inner = (persistence as { asyncPersistence?: RetainedMethods }).asyncPersistence;
  if (!inner || typeof inner.createRetainedStreamCombi !== 'function') throw new Error('aedes-persistence-redis without asyncPersistence: cannot look up retained messages at once');
  const library = inner.createRetainedStreamCombi.bind(inner);
  inner.createRetainedStreamCombi = async function* retainedAtOnce(patterns) {
    const exact = patterns.filter((p) => !hasWildcard(p));
    let ask = patterns;
    if (exact.length >= 2) {
      const found = await conn.hmget(RETAINED, ...exact);
      ask = [...exact.filter((_, i) => found[i] !== null), ...patterns.filter(hasWildcard)];
    }
    // The library gives a message matched by an exact and a wildcard filter twice (12.0.0 means
    // to skip it but keys its check on the undecoded buffer): each topic once here.
    const sent = new Set<string>();
    for await (const packet of ask.length > 0 ? library(ask) : []) {
      if (sent.has(packet.topic)) continue;
      sent.add(packet.topic);
      yield packet;
    }
  };
}
