/**
 * Three brokers sharing one real Redis (Debian's redis-server) through aedes' own clustering
 * packages: a device is served by whichever node it reached, and what the platform publishes on
 * any node — command, retained config, a QoS 1 message queued while the device was away — reaches
 * it there; the same client id on a second node ends the first session [MQTT-3.1.4-2]; bad secrets
 * spread over the nodes lock the device on all of them; ending a session works from any node.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import net from 'node:net';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { RedisRateLimit, connectRedisLink, createBroker, startListener } from '@shanshui/broker';
import type { BrokerHooks, RedisLink, RunningListener, ShanshuiBroker } from '@shanshui/broker';
import type { ParsedTopic } from '@shanshui/models';
import { startRedisServer } from '../support/redis-server.ts';
import type { RedisServer } from '../support/redis-server.ts';
import { ConnectRefused, connectOnce } from '../support/mqtt-device.ts';
import { connectPacket } from '../support/raw-mqtt.ts';
import { eventually } from '../support/eventually.ts';

interface Node {
  readonly link: RedisLink;
  readonly broker: ShanshuiBroker;
  readonly listener: RunningListener;
  readonly url: string;
  readonly accepted: Array<{ stationId: string; topic: ParsedTopic; payload: string }>;
}

const logger = pino({ level: 'silent' });
let redis: RedisServer;
const nodes: Node[] = [];
/** Nodes a test started after the first three. */
const lateNodes: Node[] = [];
const clients: MqttClient[] = [];

async function startNode(): Promise<Node> {
  const link = await connectRedisLink(redis.url, logger);
  const accepted: Node['accepted'] = [];
  const hooks: BrokerHooks = {
    authenticate: async (_id, secret) => secret === 'right-secret',
    acceptPublish: async (stationId, topic, payload) => void accepted.push({ stationId, topic, payload: payload.toString() }),
  };
  const broker = await createBroker(hooks, { authFailureDelayMs: 0, clusterHeartbeatMs: 200, clusterLockoutRescanMs: 3_600_000 }, logger, link);
  const listener = await startListener(broker, { kind: 'tcp', host: '127.0.0.1', port: 0 });
  return { link, broker, listener, url: `mqtt://127.0.0.1:${listener.port}`, accepted };
}

async function device(node: Node, id: string, options: { clean?: boolean; password?: string; will?: string } = {}): Promise<MqttClient> {
  const will = options.will === undefined ? {} : { will: { topic: `shanshui/v1/${id}/up/status`, payload: Buffer.from(options.will), qos: 1 as const, retain: false } };
  const client = await connectOnce(node.url, { clientId: id, username: id, password: options.password ?? 'right-secret', clean: options.clean ?? true, protocolVersion: 4, ...will });
  clients.push(client);
  return client;
}

function received(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const list: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => list.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return list;
}

beforeAll(async () => {
  redis = await startRedisServer();
  for (let i = 0; i < 3; i++) nodes.push(await startNode());
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const n of [...nodes, ...lateNodes]) {
    await n.listener.close();
    await n.broker.close();
    await n.link.close();
  }
  await redis?.stop();
});

test('a command published through node 2 reaches the device connected to node 3', async () => {
  const dev = await device(nodes[2]!, 'cmd-dev');
  const messages = received(dev);
  await dev.subscribeAsync('shanshui/v1/cmd-dev/down/#', { qos: 1 });
  await nodes[1]!.broker.publishToDevice('shanshui/v1/cmd-dev/down/command', Buffer.from('{"id":"c1"}'), { qos: 1 });
  await expect.poll(() => messages.map((m) => m.payload), { timeout: 30_000 }).toEqual(['{"id":"c1"}']);
});

test('device subscriptions open no Redis channel of their own: one pattern per node carries every downlink', async () => {
  const stats = new Redis(redis.url);
  try {
    const dev = await device(nodes[1]!, 'pattern-dev');
    const messages = received(dev);
    await dev.subscribeAsync(['shanshui/v1/pattern-dev/down/config', 'shanshui/v1/pattern-dev/down/command'], { qos: 1 });
    expect(await stats.pubsub('CHANNELS', 'shanshui/*')).toEqual([]);
    await nodes[2]!.broker.publishToDevice('shanshui/v1/pattern-dev/down/command', Buffer.from('{"id":"p1"}'), { qos: 1 });
    await expect.poll(() => messages.map((m) => m.topic), { timeout: 30_000 }).toEqual(['shanshui/v1/pattern-dev/down/command']);
    // Unsubscribed (here: gone), it hears nothing more; the other nodes never delivered it.
    await dev.unsubscribeAsync('shanshui/v1/pattern-dev/down/command');
    await nodes[0]!.broker.publishToDevice('shanshui/v1/pattern-dev/down/command', Buffer.from('{"id":"p2"}'), { qos: 1 });
    await nodes[0]!.broker.publishToDevice('shanshui/v1/pattern-dev/down/config', Buffer.from('{"v":1}'), { qos: 1 });
    await expect.poll(() => messages.map((m) => m.topic), { timeout: 30_000 }).toEqual(['shanshui/v1/pattern-dev/down/command', 'shanshui/v1/pattern-dev/down/config']);
  } finally {
    stats.disconnect();
  }
});

test('retained config published through node 1 reaches a device that connects later to node 3', async () => {
  await nodes[0]!.broker.publishToDevice('shanshui/v1/cfg-dev/down/config', Buffer.from('{"version":7}'), { qos: 1, retain: true });
  const dev = await device(nodes[2]!, 'cfg-dev');
  const messages = received(dev);
  await dev.subscribeAsync('shanshui/v1/cfg-dev/down/config', { qos: 1 });
  await expect.poll(() => messages, { timeout: 30_000 }).toEqual([{ topic: 'shanshui/v1/cfg-dev/down/config', payload: '{"version":7}', retain: true }]);
});

test('a QoS 1 command queued while a persistent session was away is delivered on another node', async () => {
  const first = await device(nodes[2]!, 'queue-dev', { clean: false });
  await first.subscribeAsync('shanshui/v1/queue-dev/down/#', { qos: 1 });
  await first.endAsync();
  await nodes[1]!.broker.publishToDevice('shanshui/v1/queue-dev/down/command', Buffer.from('{"id":"while-away"}'), { qos: 1 });
  const again = await device(nodes[0]!, 'queue-dev', { clean: false });
  const messages = received(again);
  await expect.poll(() => messages.map((m) => m.payload), { timeout: 30_000 }).toEqual(['{"id":"while-away"}']);
});

test('[MQTT-3.1.4-2] the same client id connecting on another node ends the older session there', async () => {
  const older = await device(nodes[0]!, 'twice-dev');
  let closed = false;
  older.once('close', () => (closed = true));
  const newer = await device(nodes[1]!, 'twice-dev');
  await eventually(() => closed, 'the older session closed');
  expect(newer.connected).toBe(true);
  // The surviving session is the one that still gets the device's downlink.
  const messages = received(newer);
  await newer.subscribeAsync('shanshui/v1/twice-dev/down/#', { qos: 1 });
  await nodes[2]!.broker.publishToDevice('shanshui/v1/twice-dev/down/command', Buffer.from('x'), { qos: 1 });
  await expect.poll(() => messages.length, { timeout: 30_000 }).toBe(1);
});

test('a takeover notice goes to the node that held the older session only, not to every node', async () => {
  const watch = new Redis(redis.url);
  try {
    const heard: Array<{ channel: string; payload: string }> = [];
    watch.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, payload: Buffer) => heard.push({ channel: channel.toString(), payload: channel.toString().startsWith('shanshui:') ? payload.toString() : '(aedes)' }));
    await watch.psubscribe('$SYS/*/new/clients', 'shanshui:takeover:*', 'test:marker');
    /** What Redis carried until now (a marker published after it closes the list). */
    const carried = async (): Promise<Array<{ channel: string; payload: string }>> => {
      await nodes[2]!.link.redis.publish('test:marker', 'm');
      await expect.poll(() => heard.some((h) => h.channel === 'test:marker'), { timeout: 30_000 }).toBe(true);
      return heard.splice(0).filter((h) => h.channel !== 'test:marker');
    };
    const id0 = nodes[0]!.broker.aedes.id;
    // Its first CONNECT: nobody is known to hold it, so aedes' broadcast tells every node.
    const older = await device(nodes[0]!, 'owned-dev');
    let closed = false;
    older.once('close', () => (closed = true));
    expect(await carried()).toEqual([{ channel: `$SYS/${id0}/new/clients`, payload: '(aedes)' }]);
    // On node 2: only node 1, which holds the older session, is told; and it ends it.
    const newer = await device(nodes[1]!, 'owned-dev');
    await eventually(() => closed, 'the older session closed');
    expect(await carried()).toEqual([{ channel: `shanshui:takeover:${id0}`, payload: 'owned-dev' }]);
    expect(newer.connected).toBe(true);
    // Again on node 2 itself: aedes ends the older session there; Redis carries nothing.
    let newerClosed = false;
    newer.once('close', () => (newerClosed = true));
    const again = await device(nodes[1]!, 'owned-dev');
    await eventually(() => newerClosed, 'the session on node 2 replaced');
    expect(await carried()).toEqual([]);
    expect(again.connected).toBe(true);
  } finally {
    watch.disconnect();
  }
});

test('10 bad secrets spread over 3 nodes lock the device out of every node, right secret included', async () => {
  for (let i = 0; i < 10; i++) {
    const err = await device(nodes[i % 3]!, 'guessed-dev', { password: `wrong-${i}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectRefused);
  }
  // The lock is set where the 10th secret failed and told to the other nodes through Redis: a
  // CONNECT reaching one of them in the millisecond before the notice still gets a slow refusal only.
  await expect.poll(() => Promise.all(nodes.map((n) => n.broker.lockedFor({ address: '127.0.0.1', deviceId: 'guessed-dev' }).then((ms) => ms > 0))), { timeout: 30_000 }).toEqual([true, true, true]);
  for (const node of nodes) {
    const err = await device(node, 'guessed-dev').catch((e: unknown) => e);
    expect((err as ConnectRefused).code).toBe(5);
  }
  // Another device is not affected.
  await device(nodes[1]!, 'bystander-dev');
});

test('a lock is known to a node started after it, and lifted through node 1 it lets the device in on node 3', async () => {
  for (let i = 0; i < 10; i++) await device(nodes[i % 3]!, 'locked-dev', { password: `wrong-${i}` }).catch(() => undefined);
  const late = await startNode();
  lateNodes.push(late);
  expect(((await device(late, 'locked-dev').catch((e: unknown) => e)) as ConnectRefused).code, 'a node that started after the lock').toBe(5);
  const address = '127.0.0.1';
  expect(await nodes[0]!.broker.liftLockout({ address, deviceId: 'locked-dev' })).toBeGreaterThan(0);
  await expect.poll(async () => (await device(nodes[2]!, 'locked-dev').catch((e: unknown) => e)) instanceof ConnectRefused, { timeout: 30_000 }).toBe(false);
});

test('a CONNECT asks Redis nothing about lockouts while nothing is locked', async () => {
  const stats = new Redis(redis.url);
  try {
    // Lockout lookups are PTTLs (and a DEL of the failures on success); nothing else on a CONNECT uses them.
    const calls = async (): Promise<Record<string, number>> => {
      const text = await stats.info('commandstats');
      return Object.fromEntries(['pttl', 'del'].map((c) => [c, Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(text)?.[1] ?? 0)]));
    };
    const before = await calls();
    await device(nodes[1]!, 'quiet-dev');
    await device(nodes[2]!, 'quiet-dev-2');
    expect((await calls())['pttl']).toBe(before['pttl']);
  } finally {
    stats.disconnect();
  }
});

test("a CONNECT with a will writes it over the device's old one: one HSET, no take of the old will first", async () => {
  const stats = new Redis(redis.url);
  try {
    const calls = async (): Promise<Record<string, number>> => {
      const text = await stats.info('commandstats');
      return Object.fromEntries(['eval', 'evalsha', 'hset'].map((c) => [c, Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(text)?.[1] ?? 0)]));
    };
    const first = await device(nodes[1]!, 'will-once-dev', { will: '{"online":false}' });
    await first.endAsync();
    // A DISCONNECT takes the will (a Lua call of its own): done before counting.
    await expect.poll(() => stats.hget('shanshui:wills', 'will-once-dev'), { timeout: 30_000 }).toBeNull();
    const before = await calls();
    await device(nodes[2]!, 'will-once-dev', { will: '{"online":false,"second":true}' });
    const after = await calls();
    const delta = (c: string): number => after[c]! - before[c]!;
    // The session claim is the one Lua call (EVAL the first time on a connection); its HSET and the will's are the two HSETs.
    expect({ lua: delta('eval') + delta('evalsha'), hset: delta('hset') }).toEqual({ lua: 1, hset: 2 });
    const stored = (await stats.hget('shanshui:wills', 'will-once-dev')) ?? '';
    const will = JSON.parse(stored.slice(stored.indexOf('\n') + 1)) as { payload: string };
    expect(Buffer.from(will.payload, 'base64').toString('utf8')).toBe('{"online":false,"second":true}');
  } finally {
    stats.disconnect();
  }
});

test('ending a session through node 1 closes the connection held by node 3', async () => {
  const dev = await device(nodes[2]!, 'revoked-dev');
  let closed = false;
  dev.once('close', () => (closed = true));
  expect(nodes[0]!.broker.disconnect('revoked-dev')).toBe(false);
  await eventually(() => closed, 'the session on node 3 closed');
});

test("device readings are handed over on the node they reached, and never fanned out through Redis", async () => {
  const dev = await device(nodes[1]!, 'up-dev');
  await dev.publishAsync('shanshui/v1/up-dev/up/readings', '{"r":1}', { qos: 1 });
  expect(nodes[1]!.accepted.filter((a) => a.stationId === 'up-dev')).toHaveLength(1);
  expect(nodes[0]!.accepted.filter((a) => a.stationId === 'up-dev')).toHaveLength(0);
  expect(nodes[2]!.accepted.filter((a) => a.stationId === 'up-dev')).toHaveLength(0);
  const channels = (await nodes[0]!.link.redis.pubsub('CHANNELS', '*up-dev*')) as string[];
  expect(channels).toEqual([]);
});

test('a will is published once, by the node that held the connection, when the device drops off', async () => {
  const dev = await device(nodes[2]!, 'will-dev', { will: '{"online":false}' });
  (dev.stream as net.Socket).destroy(); // no DISCONNECT: the will is due
  const wills = (n: Node): string[] => n.accepted.filter((a) => a.stationId === 'will-dev').map((a) => `${a.topic.kind} ${a.payload}`);
  await expect.poll(() => wills(nodes[2]!), { timeout: 30_000 }).toEqual(['status {"online":false}']);
  await new Promise((r) => setTimeout(r, 1500)); // several will sweeps (every 4 heartbeats of 200 ms)
  expect([...nodes, ...lateNodes].map(wills)).toEqual([[], [], ['status {"online":false}'], ...lateNodes.map(() => [])]);
});

test("a node is alive to the others from its start: its devices' wills are not swept before its first heartbeat", async () => {
  const newborn = await startNode();
  lateNodes.push(newborn);
  await device(newborn, 'newborn-dev', { will: '{"online":false}' });
  // A sweep by node 1 now, most likely before the newborn's first heartbeat (200 ms after its
  // start; one that came first makes this pass without telling anything). aedes takes a node it has
  // no heartbeat of for dead: the will of a device online on it came out as if the node had died.
  const swept: string[] = [];
  const sweep = (nodes[0]!.link.persistence as unknown as { asyncPersistence: { streamWill(b: Record<string, number>): AsyncGenerator<{ clientId?: string }> } }).asyncPersistence;
  for await (const will of sweep.streamWill((nodes[0]!.broker.aedes as unknown as { brokers: Record<string, number> }).brokers)) swept.push(will.clientId ?? '?');
  expect(swept).toEqual([]);
  expect(await nodes[0]!.link.redis.hget('shanshui:wills', 'newborn-dev')).toContain(newborn.broker.aedes.id);
});

test("a dead node's wills are published by another node — but not the will of a device already back on another node", async () => {
  const doomed = await startNode();
  lateNodes.push(doomed);
  const gone = await device(doomed, 'orphan-dev', { will: '{"online":false,"orphan":true}' });
  const back = await device(doomed, 'back-dev', { will: '{"online":false,"stale":true}' });
  void gone;
  // Known alive to every node first (its start or a heartbeat heard): a node never heard from is
  // taken for dead at once, and its wills swept before the test has moved back-dev.
  const others = [...nodes, ...lateNodes].filter((n) => n !== doomed);
  await expect.poll(() => others.every((n) => (n.broker.aedes as unknown as { brokers: Record<string, number> }).brokers[doomed.broker.aedes.id] !== undefined), { timeout: 30_000 }).toBe(true);
  // The node dies: no more heartbeats, no more Redis; its sockets stay open and nobody deletes its wills.
  const internals = doomed.broker.aedes as unknown as { _heartbeatInterval: NodeJS.Timeout; _clearWillInterval: NodeJS.Timeout };
  clearInterval(internals._heartbeatInterval);
  clearInterval(internals._clearWillInterval);
  await doomed.link.close();
  // One of its devices is already back, on node 1, with a will of its own.
  (back.stream as net.Socket).destroy();
  await device(nodes[0]!, 'back-dev', { will: '{"online":false,"fresh":true}' });
  const alive = [...nodes, ...lateNodes].filter((n) => n !== doomed);
  const wills = (id: string): string[] => alive.flatMap((n) => n.accepted.filter((a) => a.stationId === id && a.topic.kind === 'status').map((a) => a.payload));
  // Dead after 3 silent heartbeats, swept every 4: the orphan's will comes out once, from a live node.
  await expect.poll(() => wills('orphan-dev'), { timeout: 30_000 }).toEqual(['{"online":false,"orphan":true}']);
  await new Promise((r) => setTimeout(r, 2000));
  expect(wills('orphan-dev')).toHaveLength(1);
  expect(wills('back-dev')).toEqual([]);
});

test('a rate limit through Redis is one bucket for every node', async () => {
  const limits = nodes.map((n) => new RedisRateLimit(n.link.redis, 'test:rate', 0.001, 4));
  const taken: boolean[] = [];
  for (let i = 0; i < 6; i++) taken.push(await limits[i % 3]!.take('203.0.113.9'));
  expect(taken).toEqual([true, true, true, true, false, false]);
  expect(await limits[0]!.take('203.0.113.10')).toBe(true);
});

test('behind a load balancer (PROXY protocol v1) the device is known by its real address: its lockout does not lock the balancer', async () => {
  const seen: Array<string | undefined> = [];
  const broker = await createBroker(
    { authenticate: async (_id, secret) => secret === 'right-secret', acceptPublish: async () => undefined, presence: (e) => void seen.push(e.remoteAddress) },
    { authFailureDelayMs: 0, authMaxFailuresPerAddress: 3 },
    logger,
  );
  const listener = await startListener(broker, { kind: 'tcp', host: '127.0.0.1', port: 0, proxyProtocol: true });
  const viaBalancer = (source: string, id: string, password: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = net.connect(listener.port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from(`PROXY TCP4 ${source} 10.0.0.5 51234 1883\r\n`), connectPacket(id, id, password)])));
      s.once('data', (d: Buffer) => {
        s.destroy();
        resolve(d[3]!); // CONNACK return code [MQTT-3.2.2.3]
      });
      s.once('error', reject);
    });
  try {
    for (let i = 0; i < 3; i++) expect(await viaBalancer('203.0.113.7', `guess-${i}`, 'wrong')).not.toBe(0);
    // The guessing address is locked; another device behind the same balancer is not.
    expect(await viaBalancer('203.0.113.7', 'proxied-dev', 'right-secret')).toBe(5);
    expect(await viaBalancer('198.51.100.20', 'proxied-dev', 'right-secret')).toBe(0);
    await expect.poll(() => seen, { timeout: 30_000 }).toContain('198.51.100.20');
    // Without the header the connection is closed unanswered.
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(listener.port, '127.0.0.1', () => s.write(connectPacket('direct', 'direct', 'right-secret')));
      s.once('data', () => resolve(false));
      s.once('close', () => resolve(true));
    });
    expect(closed).toBe(true);
  } finally {
    await listener.close();
    await broker.close();
  }
});
