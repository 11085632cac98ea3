/**
 * What aedes-patches.ts relies on of aedes' private internals, proven against the installed
 * aedes with real TCP clients. A failure here means an aedes upgrade changed them: re-check
 * broker/src/aedes-patches.ts before moving the pin.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Aedes } from 'aedes';
import type { Client, PublishPacket } from 'aedes';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { AEDES_CHECKED_VERSION, guardPacketSize, pubackGatherer, quietUnheardSysNotices, skipDeviceFanOut } from './aedes-patches.ts';
import type { ParserInternals } from './aedes-patches.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function packageVersion(url: URL): Record<string, unknown> {
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

/** aedes on a real TCP port; `onClient` sees each aedes client as it is created. */
async function aedesOnPort(onClient: (client: ParserInternals, socket: net.Socket) => void = () => {}): Promise<{ aedes: Aedes; port: number }> {
  const aedes = new Aedes();
  await aedes.listen();
  const server = net.createServer((socket) => onClient(aedes.handle(socket) as unknown as ParserInternals, socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { aedes, port: (server.address() as net.AddressInfo).port };
}

async function device(port: number, id: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: id, reconnectPeriod: 0, ...options });
  closers.push(() => client.endAsync(true));
  return client;
}

/** Records who aedes hands to `broker.publish`: the client's id, or null for the platform's own. */
function recordPublishes(aedes: Aedes): Array<{ topic: string; clientId: string | null }> {
  const calls: Array<{ topic: string; clientId: string | null }> = [];
  const target = aedes as unknown as { publish: (p: PublishPacket, c: unknown, done?: unknown) => void };
  const publish = target.publish.bind(aedes);
  target.publish = (packet, client, done) => {
    calls.push({ topic: packet.topic, clientId: client !== null && typeof client === 'object' ? (client as Client).id : null });
    publish(packet, client, done);
  };
  return calls;
}

test('aedes is pinned exactly, at the version the patches were checked against', () => {
  const broker = packageVersion(new URL('../package.json', import.meta.url));
  const installed = packageVersion(new URL('../../node_modules/aedes/package.json', import.meta.url));
  const message = `aedes moved: re-check broker/src/aedes-patches.ts against it, then update AEDES_CHECKED_VERSION (${AEDES_CHECKED_VERSION})`;
  expect((broker['dependencies'] as Record<string, string>)['aedes'], message).toBe(AEDES_CHECKED_VERSION);
  expect(installed['version'], message).toBe(AEDES_CHECKED_VERSION);
});

test("skipDeviceFanOut relies on: a client's publish (QoS 0, QoS 1 after its PUBACK) and its will reach broker.publish with the client", async () => {
  const { aedes, port } = await aedesOnPort();
  const calls = recordPublishes(aedes);
  const dev = await device(port, 'dev-1', { will: { topic: 'will/dev-1', payload: Buffer.from('gone'), qos: 1, retain: false } });
  await dev.publishAsync('up/qos0', 'a', { qos: 0 });
  await dev.publishAsync('up/qos1', 'b', { qos: 1 }); // resolves on PUBACK
  await new Promise<void>((resolve) => aedes.publish({ cmd: 'publish', topic: 'down/platform', payload: Buffer.from('c'), qos: 1, retain: false, dup: false }, () => resolve()));
  dev.stream.destroy(); // an unclean end: the will is published
  await vi.waitFor(() => expect(calls.map((c) => c.topic)).toContain('will/dev-1'));
  expect(calls.filter((c) => !c.topic.startsWith('$SYS/'))).toEqual([
    { topic: 'up/qos0', clientId: 'dev-1' },
    { topic: 'up/qos1', clientId: 'dev-1' },
    { topic: 'down/platform', clientId: null },
    { topic: 'will/dev-1', clientId: 'dev-1' },
  ]);
});

test("skipDeviceFanOut: a client's publishes (and will) complete without fan-out; the platform's own still reach subscribers", async () => {
  const { aedes, port } = await aedesOnPort();
  skipDeviceFanOut(aedes);
  const watcher = await device(port, 'watcher');
  const seen: string[] = [];
  watcher.on('message', (topic) => seen.push(topic));
  await watcher.subscribeAsync('#', { qos: 1 });
  const dev = await device(port, 'dev-1', { will: { topic: 'will/dev-1', payload: Buffer.from('gone'), qos: 1, retain: false } });
  await dev.publishAsync('up/qos0', 'a', { qos: 0 });
  await dev.publishAsync('up/qos1', 'b', { qos: 1 }); // still acknowledged
  dev.stream.destroy();
  await new Promise<void>((resolve) => aedes.publish({ cmd: 'publish', topic: 'down/platform', payload: Buffer.from('c'), qos: 1, retain: false, dup: false }, () => resolve()));
  await vi.waitFor(() => expect(seen).toContain('down/platform'));
  expect(seen).toEqual(['down/platform']);
});

/** What a `$SYS/#` watcher hears while one device connects, subscribes and disconnects (the broker id written `{id}`). */
async function sysNoticesOfOneSession(aedes: Aedes, port: number): Promise<string[]> {
  const watcher = await device(port, 'watcher');
  const heard: string[] = [];
  // Only what is about dev-1 (the watcher's own subscription is announced too).
  watcher.on('message', (topic, payload) => (topic === 'marker' || payload.toString().includes('dev-1')) && heard.push(topic.replace(aedes.id, '{id}')));
  await watcher.subscribeAsync(['$SYS/+/new/#', '$SYS/+/disconnect/#', 'marker'], { qos: 0 });
  const gone = new Promise<void>((resolve) => aedes.on('clientDisconnect', (c: Client) => c.id === 'dev-1' && resolve()));
  const dev = await device(port, 'dev-1');
  await dev.subscribeAsync('down/dev-1', { qos: 1 });
  await dev.endAsync();
  await gone;
  // aedes announces a session's end right after 'clientDisconnect'; a marker published after that comes after it.
  await new Promise((resolve) => setImmediate(resolve));
  aedes.publish({ cmd: 'publish', topic: 'marker', payload: Buffer.from('m'), qos: 0, retain: false, dup: false }, () => {});
  await vi.waitFor(() => expect(heard).toContain('marker'), { timeout: 30_000 });
  return heard.filter((t) => t !== 'marker').sort();
}

test('quietUnheardSysNotices relies on: aedes announces a session, its subscriptions and its end on $SYS through broker.publish', async () => {
  const { aedes, port } = await aedesOnPort();
  const heard = await sysNoticesOfOneSession(aedes, port);
  expect(heard).toEqual(['$SYS/{id}/disconnect/clients', '$SYS/{id}/new/clients', '$SYS/{id}/new/subscribes', '$SYS/{id}/new/unsubscribes']);
});

test('quietUnheardSysNotices: only the takeover notice ($SYS/{id}/new/clients) is still published; a session\'s subscriptions and end are not', async () => {
  const { aedes, port } = await aedesOnPort();
  quietUnheardSysNotices(aedes);
  const heard = await sysNoticesOfOneSession(aedes, port);
  expect(heard).toEqual(['$SYS/{id}/new/clients']);
});

test('guardPacketSize relies on: the parser reads the Remaining Length through _parseLength, before the body arrives [MQTT-2.2.3]', async () => {
  let tooLarge = 0;
  const { port } = await aedesOnPort((client, socket) =>
    guardPacketSize(client, 1024, () => {
      tooLarge++;
      socket.destroy();
    }),
  );
  const dev = await device(port, 'dev-1');
  await dev.publishAsync('up/small', Buffer.alloc(900), { qos: 1 }); // under the limit: acknowledged
  expect(tooLarge).toBe(0);
  // A PUBLISH header announcing 1 000 000 bytes, then only ten of them.
  const raw = net.connect(port, '127.0.0.1');
  closers.push(async () => void raw.destroy());
  await new Promise<void>((resolve) => raw.once('connect', resolve));
  raw.write(Buffer.from([0x30, 0xc0, 0x84, 0x3d, ...Buffer.alloc(10)]));
  await vi.waitFor(() => expect(tooLarge).toBe(1), { timeout: 5000 });
  await vi.waitFor(() => expect(raw.destroyed || raw.readableEnded).toBe(true));
});

test('guardPacketSize fails loudly when the parser no longer has _parseLength', () => {
  expect(() => guardPacketSize({ _parser: { packet: {} } }, 1024, () => {})).toThrow(/aedes internals changed/);
  expect(() => guardPacketSize({}, 1024, () => {})).toThrow(/aedes-patches\.ts/);
});

/** MQTT 3.1.1 packets by hand: a raw client that sees every byte the broker writes. */
const mqttBytes = {
  connect(id: string): Buffer {
    const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 0x02, 0, 60, 0, id.length]), Buffer.from(id)]);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]);
  },
  publishQos1(topic: string, id: number, payload: string): Buffer {
    const body = Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from([id >> 8, id & 0xff]), Buffer.from(payload)]);
    return Buffer.concat([Buffer.from([0x32, body.length]), body]);
  },
  pingreq: Buffer.from([0xc0, 0]),
};

/** aedes (with `authorizePublish`) on a port, and a raw client connected to it; `writes` are the broker's socket writes to it. */
async function rawSession(authorizePublish: (client: Client, packet: PublishPacket, done: (error?: Error | null) => void) => void) {
  const aedes = new Aedes({ authorizePublish: authorizePublish as never });
  await aedes.listen();
  skipDeviceFanOut(aedes);
  const writes: Buffer[] = [];
  const server = net.createServer((socket) => {
    const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as typeof socket.write;
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  closers.push(async () => void raw.destroy());
  let received = Buffer.alloc(0);
  raw.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  await new Promise<void>((resolve) => raw.once('connect', resolve));
  raw.write(mqttBytes.connect('dev-1'));
  await vi.waitFor(() => expect([...received.subarray(0, 4)]).toEqual([0x20, 2, 0, 0]), { timeout: 30_000 }); // CONNACK accepted
  received = Buffer.alloc(0);
  writes.length = 0;
  return { raw, writes, received: () => received };
}

test('pubackGatherer relies on: aedes writes no PUBACK for a QoS 1 publish whose authorizePublish set it to QoS 0 before calling back', async () => {
  const { raw, received } = await rawSession((_client, packet, done) => {
    packet.qos = 0;
    done(null);
  });
  raw.write(Buffer.concat([mqttBytes.publishQos1('up/x', 7, 'a'), mqttBytes.pingreq]));
  // Packets are handled in order: by the PINGRESP, a PUBACK for the publish would have been written.
  await vi.waitFor(() => expect(received().includes(Buffer.from([0xd0, 0]))).toBe(true), { timeout: 30_000 });
  expect([...received()]).toEqual([0xd0, 0]);
});

test('pubackGatherer: publishes made durable together are acknowledged in one socket write, in order, each once; none before it is called', async () => {
  const ack = pubackGatherer();
  const waiting: Array<() => void> = [];
  const { raw, writes, received } = await rawSession((client, packet, done) => {
    waiting.push(() => ack(client, packet, done));
  });
  const ids = [11, 12, 300, 4, 65535];
  raw.write(Buffer.concat(ids.map((id, i) => mqttBytes.publishQos1('up/x', id, `m${i}`))));
  await vi.waitFor(() => expect(waiting).toHaveLength(ids.length), { timeout: 30_000 });
  expect(writes).toHaveLength(0); // not durable yet: no PUBACK
  // "Durable" together, as a group commit's completions are: one after another in one go.
  for (const w of waiting.splice(0)) w();
  const pubacks = Buffer.concat(ids.map((id) => Buffer.from([0x40, 2, id >> 8, id & 0xff])));
  await vi.waitFor(() => expect(received().length).toBeGreaterThanOrEqual(pubacks.length), { timeout: 30_000 });
  expect([...received()]).toEqual([...pubacks]);
  expect(writes.map((w) => [...w])).toEqual([[...pubacks]]);
  // The connection goes on: a later publish is acknowledged on its own.
  raw.write(mqttBytes.publishQos1('up/x', 5, 'late'));
  await vi.waitFor(() => expect(waiting).toHaveLength(1), { timeout: 30_000 });
  waiting.pop()!();
  await vi.waitFor(() => expect(received().length).toBe(pubacks.length + 4), { timeout: 30_000 });
  expect([...received().subarray(pubacks.length)]).toEqual([0x40, 2, 0, 5]);
});

test('pubackGatherer: a client gone before its publishes became durable gets no PUBACK, and the broker goes on', async () => {
  const ack = pubackGatherer();
  const waiting: Array<() => void> = [];
  let publisher: Client | undefined;
  const { raw, writes } = await rawSession((client, packet, done) => {
    publisher = client;
    waiting.push(() => ack(client, packet, done));
  });
  raw.write(mqttBytes.publishQos1('up/x', 1, 'a'));
  await vi.waitFor(() => expect(waiting).toHaveLength(1), { timeout: 30_000 });
  raw.destroy();
  await vi.waitFor(() => expect((publisher as unknown as { connected: boolean }).connected).toBe(false), { timeout: 30_000 });
  waiting.pop()!();
  await new Promise((r) => process.nextTick(r));
  expect(writes).toHaveLength(0);
});
