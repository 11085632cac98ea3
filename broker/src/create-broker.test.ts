/** The broker against a real TCP client: what stays in memory of a connected device. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import { pino } from 'pino';
import { createBroker } from './create-broker.ts';

/** An MQTT 3.1.1 CONNECT [MQTT-3.1] with user name and password, clean session, keep-alive 60 s. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60])]);
  const body = Buffer.concat([variable, str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** Paths from `root` to any string or bytes holding `secret`. */
function copiesOf(root: unknown, secret: string): string[] {
  const needle = Buffer.from(secret);
  const seen = new Set<unknown>();
  const hits: string[] = [];
  const walk = (o: unknown, path: string, depth: number): void => {
    if (o === null || o === undefined || depth > 12) return;
    if (typeof o === 'string') {
      if (o.includes(secret)) hits.push(path);
      return;
    }
    if ((typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    if (o instanceof Uint8Array) {
      if (Buffer.from(o.buffer, o.byteOffset, o.byteLength).includes(needle)) hits.push(path);
      return;
    }
    for (const k of Reflect.ownKeys(o)) {
      let v: unknown;
      try {
        v = (o as Record<string | symbol, unknown>)[k];
      } catch {
        continue;
      }
      walk(v, `${path}.${String(k)}`, depth + 1);
    }
  };
  walk(root, 'client', 0);
  return hits;
}

test('a connected device leaves no copy of its secret in the broker (the CONNECT packet stays with the parser)', async () => {
  const secret = 'probe-secret-0123456789abcdef-XYZ';
  const seen: string[] = [];
  const broker = await createBroker(
    {
      authenticate: async (_id, s) => {
        seen.push(s);
        return s === secret;
      },
      acceptPublish: async () => undefined,
    },
    {},
    pino({ level: 'silent' }),
  );
  const server = net.createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    const connack = await new Promise<Buffer>((resolve, reject) => {
      socket.once('data', resolve);
      socket.once('error', reject);
      socket.write(connectPacket('dev-1', 'dev-1', secret));
    });
    assert.deepEqual([...connack], [0x20, 0x02, 0x00, 0x00], 'CONNACK accepted [MQTT-3.2.2-3]');
    assert.deepEqual(seen, [secret], 'the hook got the secret');
    const client = (broker.aedes as unknown as { clients: Record<string, unknown> }).clients['dev-1'];
    assert.ok(client, 'the device is connected');
    assert.deepEqual(copiesOf(client, secret), []);
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await broker.close();
  }
});
