/**
 * Device downlinks (`shanshui/v1/{id}/down/…`) cross the cluster on one Redis pattern
 * subscription per node, not one Redis channel per device. mqemitter-redis subscribes a Redis
 * channel for every topic a client subscribes: with 100,000 devices each CONNECT cost a
 * SUBSCRIBE (and each disconnect an UNSUBSCRIBE, unpipelined), Redis held 200,000 channels and
 * every node kept its devices' channel names for resubscribing. Downlinks are rare next to
 * CONNECTs (a command, a changed config), so every node hearing every downlink and dropping what
 * none of its devices subscribed is the cheaper side. Publishing is unchanged: each downlink is
 * one Redis PUBLISH on its topic, heard by the node that holds the device (through the pattern),
 * which delivers it as before.
 */
import type { Redis } from 'ioredis';

/** Filters inside one device's (or every device's, `+`) down/ subtree: every topic they match also matches the patterns below. */
const DEVICE_DOWN_FILTER = /^shanshui\/v1\/[^/#]+\/down(\/.*)?$/;
/** Redis glob patterns (`*` spans levels) covering every device downlink topic. */
export const DEVICE_DOWNLINK_PATTERNS = ['shanshui/v1/*/down', 'shanshui/v1/*/down/*'] as const;

/** mqemitter-redis: `on`/`removeListener` also (un)subscribe Redis; `_on`/`_removeListener` are the in-process emitter's own. */
interface RedisEmitter {
  on(topic: string, listener: unknown, done?: () => void): unknown;
  removeListener(topic: string, listener: unknown, done?: () => void): unknown;
  _on(topic: string, listener: unknown, done?: () => void): unknown;
  _removeListener(topic: string, listener: unknown, done?: () => void): unknown;
}

/** Subscribes the patterns on `subConn` (the emitter's subscriber connection), then keeps device downlink listeners in process. */
export async function routeDeviceDownlinksByPattern(mq: object, subConn: Redis): Promise<void> {
  const emitter = mq as RedisEmitter;
  if (typeof emitter._on !== 'function' || typeof emitter._removeListener !== 'function') throw new Error('mqemitter-redis without _on/_removeListener: cannot route device downlinks by pattern');
  await subConn.psubscribe(...DEVICE_DOWNLINK_PATTERNS);
  const on = emitter.on.bind(emitter);
  const removeListener = emitter.removeListener.bind(emitter);
  emitter.on = (topic, listener, done) => (DEVICE_DOWN_FILTER.test(topic) ? emitter._on(topic, listener, done) : on(topic, listener, done));
  emitter.removeListener = (topic, listener, done) => (DEVICE_DOWN_FILTER.test(topic) ? emitter._removeListener(topic, listener, done) : removeListener(topic, listener, done));
}
