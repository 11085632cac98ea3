/**
 * Which node holds each device's session, in Redis, so a takeover is told to that one node.
 *
 * aedes ends an older session of the same client id on another node by broadcasting
 * `$SYS/{broker}/new/clients` at every CONNECT: every node of the cluster receives, decodes and
 * matches every other node's CONNECTs (with 6 nodes, six deliveries per CONNECT, most of the
 * cluster's Redis traffic in a reconnect storm). Here a CONNECT claims the session in one hash
 * (device id → broker id) and, in the same Lua call, tells the previous owner — if it was
 * another node — on that node's own channel. A device nobody is known to own (its first
 * CONNECT, or Redis lost its data) falls back to aedes' broadcast, so nodes of an older version
 * in a rolling upgrade still hear it; a previous owner that is gone (every node gets a new
 * broker id at each start) makes the message go to no one.
 *
 * The hash holds one entry per device that ever connected (about 60 bytes each), written over at
 * each CONNECT; it is not shrunk when a session ends.
 */
import type { Redis } from 'ioredis';

const OWNERS = 'shanshui:session-owners';
/** A node's own channel: `shanshui:takeover:{broker id}`, carrying the device id. */
const TAKEOVER_CHANNEL = 'shanshui:takeover:';

/** HGET + HSET of the owner; PUBLISH to the previous owner's channel when it is another node. Returns the previous owner (nil: none). */
const CLAIM = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old and old ~= ARGV[2] then redis.call('PUBLISH', ARGV[3] .. old, ARGV[1]) end
return old`;

export interface SessionOwners {
  /** Records `brokerId` as the holder of `clientId`'s session and tells the previous holder, when it is another node, to end its own. Resolves to the previous holder, or null when none is known. */
  claim(clientId: string, brokerId: string): Promise<string | null>;
  /** From now on `onTakeover(clientId)` runs when another node claims a session `brokerId` holds. */
  listen(brokerId: string, onTakeover: (clientId: string) => void): Promise<void>;
  close(): void;
}

type WithClaim = Redis & { shanshuiClaimSession(key: string, clientId: string, brokerId: string, channelPrefix: string): Promise<string | null> };

/** `redis` runs the claims; `listener` is a connection of its own (it enters subscriber mode). */
export function redisSessionOwners(redis: Redis, listener: Redis): SessionOwners {
  const r = redis as WithClaim;
  if (typeof r.shanshuiClaimSession !== 'function') redis.defineCommand('shanshuiClaimSession', { numberOfKeys: 1, lua: CLAIM });
  return {
    claim: (clientId, brokerId) => r.shanshuiClaimSession(OWNERS, clientId, brokerId, TAKEOVER_CHANNEL),
    async listen(brokerId, onTakeover) {
      const channel = TAKEOVER_CHANNEL + brokerId;
      listener.on('message', (ch: string, clientId: string) => {
        if (ch === channel) onTakeover(clientId);
      });
      await listener.subscribe(channel);
    },
    close: () => listener.disconnect(),
  };
}
