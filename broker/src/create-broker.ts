/**
 * The MQTT broker (aedes) with Shanshui's connect flow and ACL:
 * 1. CONNECT: client id = user name = device id; a verified client certificate naming the
 *    device is accepted; a (device id, address) pair or an address locked out after repeated
 *    bad credentials is refused (CONNACK 5) even with the right secret; then the
 *    secret is checked by `authenticate`; a bad one is answered slowly and counts to a lockout.
 * 2. PUBLISH: only to `shanshui/v1/{ownId}/up/…`, or to the `up/…` of a station the device is
 *    the gateway of (`mayPublishFor`, asked on every publish); rate-limited per connected device; then handed to
 *    `acceptPublish`, whose promise must resolve only once the message is durable — the QoS 1
 *    PUBACK is written only after that (the PUBACKs a device is owed at once go out in one
 *    socket write: pubackGatherer), so an acknowledged reading is never lost. A rejection closes the connection without PUBACK (MQTT 3.1.1 has no reason code),
 *    and the device resends later.
 * 3. SUBSCRIBE: only to `shanshui/v1/{ownId}/down/…`; other filters get SUBACK 0x80.
 * Packets over `maxPacketBytes` close the connection as soon as their header is read.
 * The patches of aedes internals this relies on live in aedes-patches.ts; whole QoS 0/1 PUBLISHes
 * are read off the socket's bytes by publish-parser.ts, everything else by mqtt-packet.
 */
import { Aedes } from 'aedes';
import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { isOwnDownFilter, parseTopic } from '@shanshui/models';
import type { ParsedTopic } from '@shanshui/models';
import { BrokerError } from './errors.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RedisLockout, memoryLockout } from './shared-lockout.ts';
import type { SharedLockout } from './shared-lockout.ts';
import { MirroredLockout } from './mirrored-lockout.ts';
import type { RedisLink } from './redis-link.ts';
import { countBirthsAsHeartbeats, guardPacketSize, pubackGatherer, quietUnheardSysNotices, skipDeviceFanOut, targetTakeoverNotices } from './aedes-patches.ts';
import { parsePublishesInPlace } from './publish-parser.ts';
import type { ParserInternals } from './aedes-patches.ts';

export const BrokerOptionsSchema = z.object({
  /** Largest MQTT packet accepted, bytes. Default 256 KiB. */
  maxPacketBytes: z.number().int().min(1024).default(256 * 1024),
  /** Sustained messages per second per device. Default 50. */
  maxMessagesPerSec: z.number().positive().default(50),
  /** Burst of messages per device. Default 500 (an edge backlog drains in bursts). */
  maxMessagesBurst: z.number().int().positive().default(500),
  /** Most concurrent connections. Default 100 000. */
  maxConnections: z.number().int().positive().default(100_000),
  /** Most concurrent in-flight publishes aedes handles per client. Default 100. */
  concurrency: z.number().int().positive().default(100),
  /** Bad credentials per device id inside `authFailureWindowMs` that lock it out. Default 10. */
  authMaxFailures: z.number().int().min(1).default(10),
  /** Bad credentials per remote address inside the window that lock the address out (higher: many devices share a carrier NAT). Default 50. */
  authMaxFailuresPerAddress: z.number().int().min(1).default(50),
  /** Window in which bad credentials count, ms. Default 300000. */
  authFailureWindowMs: z.number().int().min(1).default(300_000),
  /** How long a locked device id or address is refused, ms. Default 900000. */
  authLockoutMs: z.number().int().min(1).default(900_000),
  /** Delay of the answer to repeated bad credentials, ms (doubles per failure, up to 16×); 0 = none. Default 250. */
  authFailureDelayMs: z.number().int().min(0).default(250),
  /** With a Redis link: how often each node announces it is alive; a node silent for 3 of them is dead and its devices' wills are published by another. Default 5000. */
  clusterHeartbeatMs: z.number().int().min(100).default(5000),
  /** With a Redis link: how often each node reads every lockout from Redis again (it hears new ones at once; this catches what it missed), ms. Default 10000. */
  clusterLockoutRescanMs: z.number().int().min(100).default(10_000),
});
export type BrokerOptions = z.input<typeof BrokerOptionsSchema>;

export interface PresenceEvent {
  readonly deviceId: string;
  readonly online: boolean;
  readonly remoteAddress: string | undefined;
}

export interface AuthFailureEvent {
  readonly deviceId: string;
  readonly remoteAddress: string | undefined;
  /** What this failure locked out: 'device' and/or 'address'; empty when nothing. */
  readonly lockedOut: ReadonlyArray<'device' | 'address'>;
}

export interface BrokerHooks {
  /** Resolves the device id when (deviceId, secret) is valid; rejects or resolves false otherwise. */
  authenticate(deviceId: string, secret: string): Promise<boolean>;
  /**
   * Durable hand-off of an authorised publish. `stationId` is the topic's station (the device
   * itself, or a child it is the gateway of). Resolve = durable (then PUBACK); reject = refuse.
   */
  acceptPublish(stationId: string, topic: ParsedTopic, payload: Buffer, qos: number): Promise<void>;
  /**
   * The same hand-off by callback, for devices' publishes when given: `done(null)` once durable (then
   * PUBACK), `done(error)` to refuse. The publish path then builds no promise per message.
   */
  acceptPublishWith?(stationId: string, topic: ParsedTopic, payload: Buffer, qos: number, done: (error: Error | null) => void): void;
  /**
   * Whether connected device `deviceId` may publish for another station `stationId` (its
   * gateway). Default: never — a device publishes only for itself.
   */
  mayPublishFor?(deviceId: string, stationId: string): boolean;
  /** Devices connecting and going away. */
  presence?(event: PresenceEvent): void;
  /** Whether a device id is registered (for X.509 certificate authentication, which needs no secret). */
  knownDevice?(deviceId: string): boolean;
  /** A device subscribed (to filters inside its own down/ subtree): downlink can reach it now. */
  subscribed?(deviceId: string, filters: readonly string[]): void;
  /** A refusal the operator should see (bad credentials, ACL, rate, size). */
  refused?(deviceId: string | undefined, error: BrokerError): void;
  /** A bad credential was counted toward a lockout (and maybe caused one). */
  authFailed?(event: AuthFailureEvent): void;
}

export interface ShanshuiBroker {
  readonly aedes: Aedes;
  /** Connection handler for net/tls/ws servers. */
  handle(stream: Duplex, req?: unknown): void;
  connectedCount(): number;
  /** Lifts MQTT lockouts: the device's lock from `address` (with `deviceId`), or the address's own lock; how many were locked. */
  liftLockout(target: { readonly address: string; readonly deviceId?: string }): Promise<number>;
  /** How long this node still refuses `deviceId` from `address` (its own lock or the address's), ms; 0 when not locked. In a cluster a lock set on another node is known here once its notice has arrived. */
  lockedFor(target: { readonly address: string; readonly deviceId: string }): Promise<number>;
  /** Publishes a platform message to a device (config, command). */
  publishToDevice(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** The retained message the broker holds on `topic` (in a cluster: in Redis, for every node); undefined when none. */
  retained(topic: string): Promise<Buffer | undefined>;
  /**
   * Cluster: tells every node (this one too) `text` under `kind` — e.g. "station X changed" —
   * through the Redis link; without one, only this node's listeners hear it.
   */
  notify(kind: string, text: string): void;
  /** Listens to `notify` of every node. */
  onNotice(kind: string, listener: (text: string) => void): void;
  /** Ends a device's session now (station deleted, secret rotated), on whichever node holds it; false when it was not connected to this node. */
  disconnect(deviceId: string): boolean;
  close(): Promise<void>;
}

/**
 * `cluster`: the node's Redis link — sessions, fan-out, takeovers, wills and lockouts shared with
 * every other node on the same Redis. Without it the broker is one process on its own.
 */
export async function createBroker(hooks: BrokerHooks, options: BrokerOptions, logger: Logger, cluster?: RedisLink): Promise<ShanshuiBroker> {
  const opts = BrokerOptionsSchema.parse(options);
  const limiter = new RateLimiter(opts.maxMessagesPerSec, opts.maxMessagesBurst);
  const log = logger.child({ component: 'broker' });
  const lockoutBase = { windowMs: opts.authFailureWindowMs, lockoutMs: opts.authLockoutMs, delayMs: opts.authFailureDelayMs };
  // Cluster: counted in Redis, mirrored on each node — a CONNECT asks Redis nothing while nothing is locked.
  const mirrors: MirroredLockout[] = [];
  const sharedLockout = async (prefix: string, maxFailures: number): Promise<SharedLockout> => {
    if (!cluster) return memoryLockout({ ...lockoutBase, maxFailures });
    const topic = `${LOCKOUT_PREFIX}${prefix}`;
    const channel = {
      publish: (text: string) => cluster.mq.emit({ topic, payload: Buffer.from(text, 'utf8') }),
      subscribe: (listener: (text: string) => void) =>
        cluster.mq.on(topic, (packet, cb) => {
          listener(Buffer.from(packet['payload'] as Buffer).toString('utf8'));
          cb();
        }),
    };
    const mirror = new MirroredLockout(new RedisLockout(cluster.redis, prefix, { ...lockoutBase, maxFailures }), cluster.redis, channel, { prefix, ...lockoutBase, rescanMs: opts.clusterLockoutRescanMs });
    await mirror.start((err) => log.warn({ err, prefix }, 'lockouts not read again from redis'));
    mirrors.push(mirror);
    return mirror;
  };
  const deviceLockout = await sharedLockout('shanshui:mqtt-lockout:device', opts.authMaxFailures);
  const addressLockout = await sharedLockout('shanshui:mqtt-lockout:address', opts.authMaxFailuresPerAddress);
  /** How long `deviceId` from `address` is still refused (its own lock or the address's), ms. */
  const lockedFor = async (deviceId: string, address: string): Promise<number> =>
    Math.max(await deviceLockout.lockedFor(deviceLockKey(deviceId, address)), await addressLockout.lockedFor(address));
  const refuse = (deviceId: string | undefined, error: BrokerError): BrokerError => {
    hooks.refused?.(deviceId, error);
    log.warn({ deviceId, code: error.code }, error.message);
    return error;
  };

  const ackDurable = pubackGatherer();
  const aedes = new Aedes({
    concurrency: opts.concurrency,
    maxClientsIdLength: 64,
    ...(cluster ? { mq: cluster.mq as never, persistence: cluster.persistence as never, heartbeatInterval: opts.clusterHeartbeatMs } : {}),
    authenticate(client, username, password, done) {
      const deviceId = username ?? '';
      if (client.id !== deviceId) {
        done(refuse(deviceId || client.id, new BrokerError('BROKER_ERR_CLIENT_ID', `client id ${client.id}`)) as never, false);
        return;
      }
      const address = remoteAddressOf(client) ?? 'unknown';
      // X.509: a client certificate verified against the configured CA, whose CN names this
      // device, is the credential — nothing to guess, so no lockout applies to it.
      const certId = verifiedCertificateId(client);
      if (certId !== undefined && certId === deviceId && hooks.knownDevice?.(deviceId)) {
        done(null, true);
        return;
      }
      // A device is locked per (device id, address): bad secrets sent from elsewhere cannot
      // lock the real device out; an address sending many bad secrets is locked as a whole.
      const deviceKey = deviceLockKey(deviceId, address);
      // mqtt-packet keeps the CONNECT packet (as the parser's settings) for the whole
      // connection: take the secret out and wipe its bytes now, so no copy of it stays in
      // memory (heap or core dumps) while the lockout is asked.
      const secret = password?.toString('utf8');
      password?.fill(0);
      const accepted = (): void => {
        Promise.all([deviceLockout.succeed(deviceKey), restoreRateBucket(deviceId)]).then(
          () => done(null, true),
          (err: unknown) => done(refuse(deviceId, new BrokerError('BROKER_ERR_NOT_AUTHORIZED', deviceId, { cause: err })) as never, false),
        );
      };
      // Counted, then answered late: guessing gets slow, and a lockout follows.
      const badCredentials = async (detail: string): Promise<void> => {
        const [byDevice, byAddress] = await Promise.all([deviceLockout.fail(deviceKey), addressLockout.fail(address)]);
        const lockedOut = [...(byDevice.locked ? (['device'] as const) : []), ...(byAddress.locked ? (['address'] as const) : [])];
        if (lockedOut.length > 0) log.warn({ deviceId, address, lockedOut, lockoutMs: opts.authLockoutMs }, 'locked out after repeated bad credentials');
        hooks.authFailed?.({ deviceId, remoteAddress: address, lockedOut });
        const error = refuse(deviceId, new BrokerError('BROKER_ERR_BAD_CREDENTIALS', detail));
        const delayMs = Math.max(byDevice.delayMs, byAddress.delayMs);
        if (delayMs > 0) setTimeout(() => done(error as never, false), delayMs);
        else done(error as never, false);
      };
      const check = async (): Promise<void> => {
        const locked = await lockedFor(deviceId, address);
        if (locked > 0) {
          done(refuse(deviceId, new BrokerError('BROKER_ERR_LOCKED_OUT', `${deviceId} from ${address}, ${Math.ceil(locked / 1000)} s left`)) as never, false);
          return;
        }
        if (certId !== undefined) return badCredentials(`certificate CN ${certId} for device ${deviceId}`);
        if (secret === undefined) return badCredentials('no password');
        let ok: boolean;
        try {
          ok = await hooks.authenticate(deviceId, secret);
        } catch (err) {
          done(refuse(deviceId, new BrokerError('BROKER_ERR_NOT_AUTHORIZED', deviceId, { cause: err })) as never, false);
          return;
        }
        if (ok) accepted();
        else await badCredentials(deviceId);
      };
      // A lockout store that cannot answer (Redis down) refuses the CONNECT: the device retries.
      check().catch((err: unknown) => done(refuse(deviceId, new BrokerError('BROKER_ERR_NOT_AUTHORIZED', deviceId, { cause: err })) as never, false));
    },
    authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
      const topic = parseTopic(packet.topic);
      if (client === null) {
        // The platform's own publishes (down/ config, commands) — or, in a cluster, the will of a
        // device whose node died, published by a surviving node (aedes' wills sweep): hand that
        // over like any will, so the device's status is recorded once.
        if (cluster && topic?.direction === 'up') {
          hooks.acceptPublish(topic.deviceId, topic, packet.payload as Buffer, packet.qos).then(
            () => done(null),
            (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
          );
          return;
        }
        done(null);
        return;
      }
      if (!topic || topic.direction !== 'up' || (topic.deviceId !== client.id && hooks.mayPublishFor?.(client.id, topic.deviceId) !== true)) {
        return done(refuse(client.id, new BrokerError('BROKER_ERR_TOPIC_DENIED', packet.topic)));
      }
      if (!limiter.take(client.id)) {
        return done(refuse(client.id, new BrokerError('BROKER_ERR_RATE_LIMITED', client.id)));
      }
      if (hooks.acceptPublishWith) {
        // Durable: the PUBACK joins the others this client is owed now (one socket write).
        hooks.acceptPublishWith(topic.deviceId, topic, packet.payload as Buffer, packet.qos, (err) => (err ? done(err) : ackDurable(client, packet, done)));
        return;
      }
      hooks.acceptPublish(topic.deviceId, topic, packet.payload as Buffer, packet.qos).then(
        () => ackDurable(client, packet, done),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    },
    authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
      if (isOwnDownFilter(client.id, sub.topic)) return done(null, sub);
      refuse(client.id, new BrokerError('BROKER_ERR_TOPIC_DENIED', `subscribe ${sub.topic}`));
      return done(null, null); // SUBACK 0x80 for this filter [MQTT-3.9.3]
    },
    // Devices talk only to the platform: never forward another device's publishes.
    authorizeForward(client: Client, packet: AedesPublishPacket) {
      const topic = parseTopic(packet.topic);
      if (topic && topic.direction === 'down' && topic.deviceId === client.id) return packet;
      return null;
    },
  });
  await aedes.listen();
  skipDeviceFanOut(aedes);
  quietUnheardSysNotices(aedes);
  if (cluster) {
    countBirthsAsHeartbeats(aedes);
    await targetTakeoverNotices(aedes, cluster.sessionOwners, (err) => log.warn({ err }, 'session claim failed: takeover notice broadcast'));
  }

  // A device reconnecting — on this node or another — gets no fresh burst: the level of a bucket
  // still short when its connection ended waits in Redis until the bucket would be full anyway.
  const rateKey = (deviceId: string): string => `shanshui:mqtt-rate:${deviceId}`;
  async function restoreRateBucket(deviceId: string): Promise<void> {
    if (!cluster) return;
    const tokens = await cluster.redis.get(rateKey(deviceId));
    if (tokens !== null) limiter.restore(deviceId, Number(tokens));
  }
  function saveRateBucket(deviceId: string): void {
    if (!cluster) return;
    const level = limiter.level(deviceId);
    if (level && level.msToFull > 0) {
      cluster.redis.set(rateKey(deviceId), level.tokens.toFixed(3), 'PX', level.msToFull).catch((err: unknown) => log.warn({ err }, 'rate bucket not saved'));
    }
  }

  // Ending a session (station deleted, secret rotated) reaches the node holding the connection.
  const endLocalSession = (deviceId: string): boolean => {
    const client = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[deviceId];
    if (!client) return false;
    log.info({ deviceId }, 'session ended by the platform');
    client.close();
    return true;
  };
  if (cluster) {
    cluster.mq.on(END_SESSION_TOPIC, (packet, cb) => {
      endLocalSession(Buffer.from(packet['payload'] as Buffer).toString('utf8'));
      cb();
    });
  }

  const noticeListeners = new Map<string, Array<(text: string) => void>>();
  const hear = (kind: string, text: string): void => {
    for (const fn of noticeListeners.get(kind) ?? []) {
      try {
        fn(text);
      } catch (err) {
        log.error({ err, kind }, 'notice listener failed');
      }
    }
  };
  if (cluster) {
    cluster.mq.on(`${NOTICE_PREFIX}+`, (packet, cb) => {
      hear(String(packet.topic).slice(NOTICE_PREFIX.length), Buffer.from(packet['payload'] as Buffer).toString('utf8'));
      cb();
    });
  }

  let connected = 0;
  aedes.on('client', (client: Client) => {
    connected++;
    hooks.presence?.({ deviceId: client.id, online: true, remoteAddress: remoteAddressOf(client) });
  });
  aedes.on('clientDisconnect', (client: Client) => {
    connected--;
    saveRateBucket(client.id);
    limiter.forgetIfFull(client.id);
    hooks.presence?.({ deviceId: client.id, online: false, remoteAddress: remoteAddressOf(client) });
  });
  aedes.on('subscribe', (subscriptions: Subscription[], client: Client) => {
    if (client) hooks.subscribed?.(client.id, subscriptions.map((sub) => sub.topic));
  });
  aedes.on('clientError', (client: Client, err: Error) => log.debug({ deviceId: client.id, err }, 'client error'));
  aedes.on('connectionError', (client: Client, err: Error) => log.debug({ err }, 'connection error'));

  let sockets = 0;
  return {
    aedes,
    async liftLockout(target) {
      const lifted = await Promise.all([
        addressLockout.lift(target.address),
        ...(target.deviceId !== undefined ? [deviceLockout.lift(deviceLockKey(target.deviceId, target.address))] : []),
      ]);
      return lifted.filter(Boolean).length;
    },
    lockedFor: (target) => lockedFor(target.deviceId, target.address),
    handle(stream, req) {
      if (sockets >= opts.maxConnections) {
        refuse(undefined, new BrokerError('BROKER_ERR_TOO_MANY_CONNECTIONS', String(opts.maxConnections)));
        stream.destroy();
        return;
      }
      sockets++;
      stream.once('close', () => sockets--);
      const client = aedes.handle(stream as never, req as never) as unknown as ParserInternals & { id?: string };
      guardPacketSize(client, opts.maxPacketBytes, () => {
        refuse(client.id, new BrokerError('BROKER_ERR_PACKET_TOO_LARGE', `over ${opts.maxPacketBytes} bytes`));
        stream.destroy();
      });
      parsePublishesInPlace(client, opts.maxPacketBytes);
    },
    connectedCount: () => connected,
    notify(kind, text) {
      if (cluster) cluster.mq.emit({ topic: `${NOTICE_PREFIX}${kind}`, payload: Buffer.from(text, 'utf8') });
      else queueMicrotask(() => hear(kind, text));
    },
    onNotice(kind, listener) {
      noticeListeners.set(kind, [...(noticeListeners.get(kind) ?? []), listener]);
    },
    disconnect(deviceId) {
      const local = endLocalSession(deviceId);
      if (cluster && !local) cluster.mq.emit({ topic: END_SESSION_TOPIC, payload: Buffer.from(deviceId, 'utf8') });
      return local;
    },
    publishToDevice(topic, payload, options = {}) {
      return new Promise((resolve, reject) =>
        aedes.publish(
          { cmd: 'publish', topic, payload, qos: options.qos ?? 1, retain: options.retain ?? false, dup: false },
          (err?: Error) => (err ? reject(err) : resolve()),
        ),
      );
    },
    async retained(topic) {
      // aedes' persistence (memory, or aedes-persistence-redis) streams retained packets by pattern.
      const persistence = (aedes as unknown as { persistence: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer | string }> } }).persistence;
      for await (const packet of persistence.createRetainedStreamCombi([topic])) {
        if (packet.topic === topic) return Buffer.from(packet.payload);
      }
      return undefined;
    },
    close() {
      for (const m of mirrors) m.stop();
      return new Promise((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** Cluster-internal: "end this device's session wherever it is connected" ($SYS: no client may publish or subscribe it). */
const END_SESSION_TOPIC = '$SYS/shanshui/end-session';
/** Cluster-internal: lockouts set, counted or lifted (`$SYS/shanshui/lockout/{prefix}`). */
const LOCKOUT_PREFIX = '$SYS/shanshui/lockout/';
/** Cluster-internal notices between platform nodes (`$SYS/shanshui/notice/{kind}`). */
const NOTICE_PREFIX = '$SYS/shanshui/notice/';

/** A device's lockout key: its id and the address its bad secrets came from. */
const deviceLockKey = (deviceId: string, address: string): string => `${deviceId}@${address}`;

/** CN of the client certificate when the TLS handshake verified it against our CA; otherwise undefined. */
function verifiedCertificateId(client: Client): string | undefined {
  const conn = (client as unknown as { conn?: { authorized?: boolean; getPeerCertificate?: () => { subject?: { CN?: string | string[] } } } }).conn;
  if (!conn?.authorized || typeof conn.getPeerCertificate !== 'function') return undefined;
  const cn = conn.getPeerCertificate().subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

/** The peer address: the socket's, or for MQTT over WebSocket (a stream without one) the HTTP request's. */
function remoteAddressOf(client: Client): string | undefined {
  const c = client as unknown as { conn?: { remoteAddress?: string }; req?: { socket?: { remoteAddress?: string } } };
  return c.conn?.remoteAddress ?? c.req?.socket?.remoteAddress;
}
