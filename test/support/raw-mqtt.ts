/**
 * Test support: MQTT 3.1.1 packets written by hand onto a plain TCP socket, for what a
 * well-behaved client library will not do — e.g. pipelining a PUBLISH right behind a CONNECT
 * that the broker is about to refuse [MQTT-3.1.4-5].
 */
import net from 'node:net';

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/** CONNECT, protocol level 4, clean session, user name and password [MQTT-3.1]. */
export function connectPacket(clientId: string, username: string, password: string, keepAliveSec = 60): Buffer {
  const flags = 0x80 | 0x40 | 0x02;
  const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, keepAliveSec >> 8, keepAliveSec & 0xff])]);
  return packet(0x10, Buffer.concat([header, utf8(clientId), utf8(username), utf8(password)]));
}

/** PUBLISH at QoS 1 [MQTT-3.3]. */
export function publishQos1Packet(topic: string, payload: Buffer | string, packetId: number): Buffer {
  const id = Buffer.from([packetId >> 8, packetId & 0xff]);
  return packet(0x32, Buffer.concat([utf8(topic), id, Buffer.from(payload)]));
}

/**
 * Writes `bytes` to the broker and collects what comes back until the broker closes the
 * connection or `timeoutMs` passes (then the test closes it).
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 5000): Promise<{ received: Buffer; closedByBroker: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closedByBroker = false;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => (closedByBroker = true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') closedByBroker = true;
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedByBroker });
    });
  });
}

/** The control packet types in a byte stream from the broker (CONNACK 2, PUBACK 4, SUBACK 9, …). */
export function packetTypes(stream: Buffer): number[] {
  const types: number[] = [];
  let off = 0;
  while (off < stream.length) {
    const type = stream[off]! >> 4;
    let len = 0;
    let mul = 1;
    let i = off + 1;
    for (;;) {
      const b = stream[i++];
      if (b === undefined) return types;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    types.push(type);
    off = i + len;
  }
  return types;
}
