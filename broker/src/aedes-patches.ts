/**
 * The places where Shanshui reaches into aedes' private internals, kept together so an
 * upgrade has one file to re-check. `aedes-patches.test.ts` proves, against the installed aedes,
 * every internal behaviour relied on here, and fails loudly (naming this file) when aedes moves
 * off the exact version the patches were checked against: bump `AEDES_CHECKED_VERSION` together
 * with `broker/package.json` only after that test passes.
 */
import type { Aedes, Client, PublishPacket } from 'aedes';

/** The aedes version whose internals these patches were checked against (pinned exactly in broker/package.json). */
export const AEDES_CHECKED_VERSION = '1.2.0';

/** What `guardPacketSize` uses of an aedes client: its mqtt-packet parser. */
export interface ParserInternals {
  _parser?: { packet?: { length?: number }; _parseLength?: () => boolean };
}

type PublishFn = (packet: PublishPacket, client: Client | null | undefined, done?: (error?: Error) => void) => void;

/**
 * A device's publish is finished once `authorizePublish` has handed it to `acceptPublish` (and,
 * for its will, the same): devices may only publish to their own `up/` and nobody is ever
 * forwarded another device's message (authorizeForward). aedes would still fan every one of
 * them out — mqemitter, the retained store, the offline-queue lookup, the 'publish' event —
 * which cost more per message than the durable hand-off itself. So publishes that come from a
 * client end here; the platform's own (config, commands: no client) go the usual way.
 *
 * Relies on: aedes calls `broker.publish(packet, client, done)` for a client's publish after
 * the QoS 1 PUBACK (lib/handlers/publish.js) and for a will after `authorizePublish`
 * (lib/client.js). Were that to change, publishes would merely take the slower usual way again.
 * In a cluster (mqemitter-redis) this also keeps every reading off Redis: only the platform's
 * downlinks and aedes' own `$SYS` messages cross nodes (test/e2e/broker-cluster.test.ts checks).
 */
export function skipDeviceFanOut(aedes: Aedes): void {
  const target = aedes as unknown as { publish: PublishFn };
  const publish = target.publish.bind(aedes);
  target.publish = (packet, client, done) => {
    if (client === null || client === undefined || typeof client === 'function') return publish(packet, client, done);
    // aedes completes a publish asynchronously; keep it so (a microtask, as its promise chain would).
    queueMicrotask(() => done?.());
  };
}

/**
 * aedes announces on `$SYS/{broker id}/…` every session's subscriptions (`new/subscribes`), their
 * removal (`new/unsubscribes`) and its end (`disconnect/clients`). Nothing in Shanshui listens to
 * them, and no device may subscribe `$SYS` (authorizeSubscribe), yet in a cluster each one is
 * msgpack-encoded and PUBLISHed to Redis: two of the three Redis messages a device's session
 * cost (the third, `new/clients`, is the takeover notice — kept). So they end here, completed as
 * aedes completes a publish (asynchronously).
 *
 * Relies on: aedes publishes these through `broker.publish(packet, done)` (no client) under
 * exactly these topics (lib/handlers/subscribe.js, unsubscribe.js; aedes.js unregisterClient).
 */
export function quietUnheardSysNotices(aedes: Aedes): void {
  const unheard = new Set(['new/subscribes', 'new/unsubscribes', 'disconnect/clients'].map((t) => `$SYS/${aedes.id}/${t}`));
  const target = aedes as unknown as { publish: PublishFn };
  const publish = target.publish.bind(aedes);
  target.publish = (packet, client, done) => {
    if (!unheard.has(packet.topic)) return publish(packet, client, done);
    const finished = typeof client === 'function' ? (client as (error?: Error) => void) : done;
    queueMicrotask(() => finished?.());
  };
}

/**
 * In a cluster, a node is alive from its start, not from its first heartbeat. aedes records the
 * other nodes at their heartbeats only, and its wills sweep takes a node it has no record of for
 * dead: during a node's first heartbeat interval (5 s by default), another node's sweep published
 * the wills of devices connected to it — "offline" for devices that were online. aedes announces
 * a node's start (`$SYS/{id}/birth`, before it accepts connections): recorded here like a
 * heartbeat, so the node is taken for dead only after 3 intervals without one, as any other.
 *
 * Relies on: aedes keeps the last time it heard each node in `brokers` (id → ms) and publishes the
 * birth with the node id as payload, on its emitter (shared through Redis in a cluster).
 */
export function countBirthsAsHeartbeats(aedes: Aedes): void {
  const internals = aedes as unknown as { brokers: Record<string, number>; mq: { on(topic: string, fn: (packet: { payload: unknown }, cb: () => void) => void): void } };
  internals.mq.on('$SYS/+/birth', (packet, cb) => {
    internals.brokers[Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload)] = Date.now();
    cb();
  });
}

/** What `targetTakeoverNotices` needs of a session registry (redis-session-owners.ts in a cluster). */
export interface SessionClaims {
  claim(clientId: string, brokerId: string): Promise<string | null>;
  listen(brokerId: string, onTakeover: (clientId: string) => void): Promise<void>;
}

/**
 * In a cluster, the takeover notice goes to the node that holds the older session, not to every
 * node (see redis-session-owners.ts): aedes' `$SYS/{id}/new/clients` publish at each CONNECT
 * becomes a claim, and a claim's notice ends the session here as aedes' own `closeSameClients`
 * would. When no holder is known the claim falls back to aedes' broadcast, which every node
 * still hears (aedes keeps its listener); so does a claim that fails (Redis unreachable).
 *
 * Relies on: aedes publishes `$SYS/{id}/new/clients` (payload: the client id, no client) once a
 * client is registered (aedes.js `_finishRegisterClient`), keeps its sessions in `clients` by id,
 * and `closeSameClients` ends one with `client.close()` or, when already closed, `deleteClient`.
 */
export async function targetTakeoverNotices(aedes: Aedes, claims: SessionClaims, onError: (err: unknown) => void): Promise<void> {
  const internals = aedes as unknown as { publish: PublishFn; clients: Record<string, (Client & { closed: boolean }) | undefined>; deleteClient(id: string): void };
  await claims.listen(aedes.id, (clientId) => {
    const older = internals.clients[clientId];
    if (!older) return;
    if (older.closed) internals.deleteClient(clientId);
    else older.close();
  });
  const topic = `$SYS/${aedes.id}/new/clients`;
  const publish = internals.publish.bind(aedes);
  internals.publish = (packet, client, done) => {
    if (packet.topic !== topic || (client !== null && typeof client === 'object')) return publish(packet, client, done);
    const finished = typeof client === 'function' ? (client as (error?: Error) => void) : done;
    claims.claim(Buffer.from(packet.payload).toString('utf8'), aedes.id).then(
      (previous) => (previous === null ? publish(packet, client, done) : finished?.()),
      (err: unknown) => {
        onError(err);
        publish(packet, client, done);
      },
    );
  };
}

/** What `pubackGatherer` uses of an aedes client: its connection, state and drain wait. */
interface AckInternals {
  readonly conn: { write(chunk: Buffer): boolean };
  /** True from CONNACK until aedes' remaining connect actions (session restore, queued messages) are done. */
  readonly connecting: boolean;
  readonly connected: boolean;
  readonly errored: boolean;
  waitForDrain(callback: () => void): void;
}

/** The PUBACKs owed to one client, in the order its publishes became durable. */
interface OwedAcks {
  readonly client: AckInternals;
  readonly ids: number[];
  readonly done: Array<(error?: Error | null) => void>;
}

/**
 * One socket write for the QoS 1 PUBACKs a client is owed at once. aedes writes each PUBACK on
 * its own (a packet object, mqtt-packet's two writes under cork, a setImmediate per publish);
 * the publishes of one group commit become durable together, so gather them: `ack(client,
 * packet, done)` — called instead of `done(null)` once a QoS 1 publish is durable — queues the
 * packet's PUBACK, and after the current microtasks (every publish of the group commit has been
 * told by then) each client gets all of its PUBACKs as one buffer, in the order they were
 * queued [MQTT-4.6.0-2]. Durability is unchanged: nothing is queued before the publish is.
 *
 * Relies on: aedes' enqueuePublish (lib/handlers/publish.js) reads `packet.qos` after
 * `authorizePublish` calls back; at QoS 0 it writes no PUBACK of its own and goes straight on
 * to `broker.publish` (which skipDeviceFanOut ends for a client's publish). `client.connecting`,
 * `client.connected`, `client.errored`, `client.conn` and `client.waitForDrain` are aedes' own (lib/write.js uses
 * them the same way: no write to a closed connection, wait for 'drain' when the socket is full).
 * MQTT 3.1 and 3.1.1 only (aedes 1.2 speaks no other): a PUBACK is `40 02 id-msb id-lsb`.
 */
export function pubackGatherer(): (client: Client, packet: PublishPacket, done: (error?: Error | null) => void) => void {
  let owed = new Map<AckInternals, OwedAcks>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const all = owed;
    owed = new Map();
    for (const o of all.values()) {
      const { client, ids, done } = o;
      // As aedes' own write (lib/write.js): a client may publish right after its CONNACK, while
      // aedes is still restoring its session (`connecting`; Redis persistence in a cluster).
      if (!(client.connecting || client.connected) || client.errored) {
        const closed = new Error('connection closed');
        for (const d of done) d(closed);
        continue;
      }
      const buf = Buffer.allocUnsafe(4 * ids.length);
      for (let i = 0; i < ids.length; i++) {
        buf[4 * i] = 0x40;
        buf[4 * i + 1] = 0x02;
        buf.writeUInt16BE(ids[i]!, 4 * i + 2);
      }
      const finish = (): void => {
        for (const d of done) d(null);
      };
      // A socket that takes no more: the client's next packets wait, as after aedes' own writes.
      if (client.conn.write(buf)) finish();
      else client.waitForDrain(finish);
    }
  };
  return (client, packet, done) => {
    const c = client as unknown as AckInternals;
    if (packet.qos !== 1 || packet.messageId === undefined) {
      done(null);
      return;
    }
    packet.qos = 0; // aedes: no PUBACK of its own (written here)
    let o = owed.get(c);
    if (!o) {
      o = { client: c, ids: [], done: [] };
      owed.set(c, o);
    }
    o.ids.push(packet.messageId);
    o.done.push(done);
    if (!scheduled) {
      scheduled = true;
      // After the microtasks running now: the other publishes of the same group commit join.
      process.nextTick(flush);
    }
  };
}

/**
 * aedes has no packet-size option and mqtt-packet buffers a packet whole before emitting it,
 * so check the fixed header's Remaining Length as soon as it is parsed [MQTT-2.2.3].
 *
 * Relies on: the client's `_parser` (mqtt-packet's Parser) calls `_parseLength()` once the
 * Remaining Length is read, returning true when it is complete, with `packet.length` set.
 */
export function guardPacketSize(client: ParserInternals, maxBytes: number, onTooLarge: () => void): void {
  const parser = client._parser;
  const parseLength = parser?._parseLength;
  if (!parser || !parseLength) throw new Error('aedes internals changed: cannot guard packet size (see broker/src/aedes-patches.ts)');
  parser._parseLength = function guardedParseLength(this: typeof parser) {
    const complete = parseLength.call(this);
    if (complete && (this.packet?.length ?? 0) > maxBytes) {
      onTooLarge();
      return false;
    }
    return complete;
  };
}
