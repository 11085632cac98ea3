/**
 * Bench support: the few MQTT 3.1.1 and 5 packets the light load generator
 * (light-load-generator.ts) speaks, encoded by hand — CONNECT, SUBSCRIBE, QoS 1 PUBLISH,
 * PUBACK, PINGREQ, DISCONNECT — and a reader that splits a socket's bytes into packets
 * without copying the common case (a chunk that holds whole packets).
 * Protocol level 4 is MQTT 3.1.1, 5 is MQTT 5 (an empty property list where 5 has one).
 */

export type MqttLevel = 4 | 5;

/** First bytes of the packets the generator reads (type << 4). */
export const CONNACK = 0x2;
export const PUBLISH = 0x3;
export const PUBACK = 0x4;
export const SUBACK = 0x9;
export const PINGRESP = 0xd;
export const DISCONNECT = 0xe;

export const PINGREQ_PACKET: Buffer = Buffer.from([0xc0, 0x00]);
export const DISCONNECT_PACKET: Buffer = Buffer.from([0xe0, 0x00]);

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** Bytes of the variable-length "remaining length" field. */
export function remainingLengthSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Writes the remaining length `n` at `at`; returns the offset after it. */
export function writeRemainingLength(out: Buffer, at: number, n: number): number {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out[at++] = b;
  } while (n > 0);
  return at;
}

function packet(first: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + remainingLengthSize(body.length) + body.length);
  out[0] = first;
  body.copy(out, writeRemainingLength(out, 1, body.length));
  return out;
}

/** CONNECT with a clean session; username = client id and the password when there is one. */
export function connectPacket(level: MqttLevel, clientId: string, password: string, keepaliveSec: number): Buffer {
  const flags = 0x02 | (password ? 0xc0 : 0);
  const header = Buffer.concat([utf8Field('MQTT'), Buffer.from([level, flags, keepaliveSec >> 8, keepaliveSec & 0xff]), level === 5 ? Buffer.from([0]) : Buffer.alloc(0)]);
  const payload = [utf8Field(clientId), ...(password ? [utf8Field(clientId), utf8Field(password)] : [])];
  return packet(0x10, Buffer.concat([header, ...payload]));
}

/** SUBSCRIBE to one topic at QoS 1 (packet id 1). */
export function subscribePacket(level: MqttLevel, topic: string): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), level === 5 ? Buffer.from([0]) : Buffer.alloc(0), utf8Field(topic), Buffer.from([1])]));
}

/** PUBACK for packet `id` (success; MQTT 5 allows leaving the reason code out). */
export function pubackPacket(id: number): Buffer {
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
}

/**
 * A device's QoS 1 PUBLISH packets to one topic: the topic bytes encoded once, then each packet
 * is the fixed header, the topic, the packet id and the ASCII payload written into `out`.
 */
export class PublishEncoder {
  readonly #topic: Buffer;
  readonly #extra: number;

  constructor(level: MqttLevel, topic: string) {
    this.#topic = utf8Field(topic);
    // MQTT 5: an empty property list after the packet id.
    this.#extra = level === 5 ? 1 : 0;
  }

  /** Bytes of the packet for an ASCII payload of `payloadLength` bytes. */
  size(payloadLength: number): number {
    const rest = this.#topic.length + 2 + this.#extra + payloadLength;
    return 1 + remainingLengthSize(rest) + rest;
  }

  /** Writes the packet at `at` (room checked by the caller with `size`); returns the offset after it. */
  write(out: Buffer, at: number, id: number, payload: string): number {
    const rest = this.#topic.length + 2 + this.#extra + payload.length;
    out[at++] = 0x32;
    at = writeRemainingLength(out, at, rest);
    at += this.#topic.copy(out, at);
    out[at++] = id >> 8;
    out[at++] = id & 0xff;
    if (this.#extra === 1) out[at++] = 0;
    return at + out.write(payload, at, 'latin1');
  }
}

/**
 * Splits the bytes of one connection into packets: `onPacket(first byte, bytes, body start,
 * body end)`. Whole packets are handed out as views of the chunk they came in; only a packet
 * cut between chunks is copied.
 */
export class PacketReader {
  #left: Buffer | undefined;
  readonly #onPacket: (first: number, bytes: Buffer, start: number, end: number) => void;

  constructor(onPacket: (first: number, bytes: Buffer, start: number, end: number) => void) {
    this.#onPacket = onPacket;
  }

  push(chunk: Buffer): void {
    const buf = this.#left ? Buffer.concat([this.#left, chunk]) : chunk;
    this.#left = undefined;
    let at = 0;
    while (at < buf.length) {
      if (buf.length - at < 2) break;
      let length = 0;
      let mult = 1;
      let i = at + 1;
      let complete = false;
      for (; i < buf.length && i <= at + 4; i++) {
        const b = buf[i]!;
        length += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i > at + 4) throw new Error('MQTT remaining length longer than 4 bytes');
        break;
      }
      if (i + length > buf.length) break;
      this.#onPacket(buf[at]!, buf, i, i + length);
      at = i + length;
    }
    if (at < buf.length) this.#left = Buffer.from(buf.subarray(at));
  }
}
