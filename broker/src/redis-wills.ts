/**
 * Last wills in Redis for a cluster, in place of aedes-persistence-redis' own. Its wills live in
 * one Redis LIST of keys: every CONNECT with a will ran two LREMs over that list — O(wills), so
 * a reconnect storm of 100,000 devices cost Redis O(n²) (most of its CPU at 10,000) — and its
 * sweep read up to 10,000 wills every 20 s on every node, however many nodes were alive.
 *
 * Here: one HASH, device id → `{brokerId}\n{will as JSON}`. A device has one session in the
 * whole cluster (takeover), so it has at most one will, written over by its next CONNECT on
 * whichever node: a stale will of a dead node is never published for a device that is already
 * back elsewhere (a CONNECT with a will writes over the old one; one without takes it). Ending a
 * session removes the will only if it is still that node's (one Lua call: a takeover's new will
 * on another node stays). The sweep reads the wills only while a node that left wills behind has
 * stopped announcing itself (a node is heard from its start: aedes-patches.ts
 * countBirthsAsHeartbeats), and only that node's wills; each is taken (deleted) by the sweeping
 * node before it is published, so it comes out once.
 * A rolling upgrade from the list: wills of nodes that stop before it ends stay unpublished.
 */
import type { Redis } from 'ioredis';

const WILLS = 'shanshui:wills';
/** Nodes (aedes broker ids) that may have wills in WILLS. */
const WILL_BROKERS = 'shanshui:will-brokers';
/** How often a node says again that it has wills (the set survives a Redis restart only this way). */
const ANNOUNCE_MS = 10_000;

/** HGET + HDEL of one field, only when its value starts with `ARGV[2]\n` (any value when ARGV[2] is empty). */
const TAKE_WILL = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
if ARGV[2] ~= '' and string.sub(v, 1, #ARGV[2] + 1) ~= ARGV[2] .. '\\n' then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return v`;

interface WillPacket {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  clientId?: string;
  brokerId?: string;
  [key: string]: unknown;
}

/** The async persistence inside aedes-persistence-redis' callback wrapper, as far as wills go. */
interface WillMethods {
  readonly broker?: { readonly id: string };
  putWill(client: { id: string }, packet: WillPacket): Promise<void>;
  getWill(client: { id: string }): Promise<WillPacket | null>;
  delWill(client: { id: string; brokerId?: string }): Promise<WillPacket | null>;
  streamWill(brokers?: Record<string, number>): AsyncGenerator<WillPacket>;
}

type WithTakeWill = Redis & { shanshuiTakeWill(key: string, field: string, brokerId: string): Promise<string | null> };

function encode(brokerId: string, packet: WillPacket): string {
  return `${brokerId}\n${JSON.stringify({ ...packet, payload: Buffer.from(packet.payload).toString('base64') })}`;
}

function decode(value: string): { brokerId: string; packet: WillPacket } {
  const nl = value.indexOf('\n');
  const parsed = JSON.parse(value.slice(nl + 1)) as WillPacket & { payload: string };
  return { brokerId: value.slice(0, nl), packet: { ...parsed, payload: Buffer.from(parsed.payload, 'base64') } };
}

/** Replaces the will methods of `persistence` (aedes-persistence-redis' default export) with the hash above, on `conn`. */
export function keepWillsInHash(persistence: object, conn: Redis): void {
  const inner = (persistence as { asyncPersistence?: WillMethods }).asyncPersistence;
  if (!inner || typeof inner.putWill !== 'function') throw new Error('aedes-persistence-redis without asyncPersistence: cannot keep wills in a hash');
  const redis = conn as WithTakeWill;
  redis.defineCommand('shanshuiTakeWill', { numberOfKeys: 1, lua: TAKE_WILL });
  const brokerId = (): string => {
    const id = inner.broker?.id;
    if (!id) throw new Error('wills: persistence not set up yet');
    return id;
  };
  let announcedAt = 0;

  inner.putWill = async (client, packet) => {
    const id = brokerId();
    const now = Date.now();
    const announce = now - announcedAt > ANNOUNCE_MS;
    if (announce) announcedAt = now;
    await Promise.all([redis.hset(WILLS, client.id, encode(id, { ...packet, clientId: client.id, brokerId: id })), ...(announce ? [redis.sadd(WILL_BROKERS, id)] : [])]);
  };
  inner.getWill = async (client) => {
    const value = await redis.hget(WILLS, client.id);
    if (value === null) return null;
    const will = decode(value);
    return will.brokerId === brokerId() ? will.packet : null;
  };
  // aedes: with the connecting Client (no brokerId: whatever will the device had goes), or
  // {id, brokerId} when a session ended or a dead node's will was published (only that one).
  // A CONNECT that carries a will puts it right after this: its HSET replaces the old will in
  // one step, so the take would only be one more round trip per CONNECT.
  inner.delWill = async (client) => {
    if (client.brokerId === undefined && (client as { will?: unknown }).will) return null;
    const value = await redis.shanshuiTakeWill(WILLS, client.id, client.brokerId ?? '');
    return value === null ? null : decode(value).packet;
  };
  inner.streamWill = async function* streamWill(brokers = {}) {
    const dead = new Set((await redis.smembers(WILL_BROKERS)).filter((id) => brokers[id] === undefined));
    if (dead.size === 0) return;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(WILLS, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) {
        const value = flat[i]!;
        const owner = value.slice(0, value.indexOf('\n'));
        if (!dead.has(owner)) continue;
        seen.add(owner);
        // Taken before aedes publishes it (aedes deletes only after): of several nodes sweeping at
        // once, the one that takes it publishes it — once, not once per node (a sweeping node that
        // dies between the take and the publish loses that will; the leader still marks the device offline).
        const taken = await redis.shanshuiTakeWill(WILLS, flat[i - 1]!, owner);
        if (taken !== null) yield decode(taken).packet;
      }
    } while (cursor !== '0');
    // A dead node with no will left is forgotten (its last wills were published and deleted in an earlier sweep).
    const gone = [...dead].filter((id) => !seen.has(id));
    if (gone.length > 0) await redis.srem(WILL_BROKERS, ...gone);
  };
}
