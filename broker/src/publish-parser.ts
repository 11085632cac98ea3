/**
 * A device's PUBLISH, read straight off the socket's bytes. mqtt-packet's parser (aedes' own)
 * copies every byte it reads through a BufferList (`bl`: a Buffer view per header byte, length
 * byte, topic and payload) and calls `debug` about ten times a packet, which builds its
 * arguments even when debugging is off: about 1 µs of the main thread per packet, and a third
 * of its short-lived garbage under load (docs/benchmarks.md, #16 webhook notes). The common
 * packet under load is a whole QoS 0 or 1 PUBLISH; `parsePublishesInPlace` reads those itself
 * and hands anything else, from the first byte it does not take on, to mqtt-packet unchanged.
 *
 * The packets are the ones mqtt-packet would emit: its own `Packet` class, the same fields
 * (`cmd`, `retain`, `qos`, `dup`, `length`, `topic`, then `messageId` at QoS 1 and `payload` as
 * a view of the read), emitted on the parser's 'packet' event in order, synchronously, as it
 * does. `publish-parser.test.ts` checks that against mqtt-packet itself over random streams
 * split at random places, malformed packets included.
 *
 * Taken here only when the parser is between packets (nothing buffered, no error) and the
 * session is not MQTT 5 (properties), and only a PUBLISH that is whole in this read, QoS 0
 * or 1, no larger than `maxBytes`, with its topic and packet id inside it. A packet the last
 * read cut in its body is finished by mqtt-packet with just the bytes it still needs, and the
 * read goes on here after it. Everything else —
 * a packet cut by the read, CONNECT, SUBSCRIBE, PINGREQ, QoS 2, an oversized or malformed
 * packet — goes to mqtt-packet, so its errors and guardPacketSize (aedes-patches.ts) still
 * apply.
 *
 * Relies on mqtt-packet's Parser (pinned exactly in broker/package.json; the test fails loudly
 * when it moves): `parse(buf)`, `error` (null between packets), `_stateCounter` (0 while waiting
 * for a fixed header, 2 while waiting for the rest of a body), `_list` (the bytes buffered:
 * `length`, `append`; only the body's once the header is read), `settings.protocolVersion`, and
 * `packet`, a fresh instance of its Packet class between packets, with `length` (the
 * Remaining Length) once its header is read.
 */

/** The mqtt-packet version whose parser this was checked against (pinned in broker/package.json). */
export const MQTT_PACKET_CHECKED_VERSION = '9.0.2';

/** What `parsePublishesInPlace` uses of mqtt-packet's Parser. */
export interface MqttPacketParser {
  parse(buf: Buffer): number;
  emit(event: 'packet', packet: object): boolean;
  error: Error | null;
  _stateCounter: number;
  _list: { readonly length: number; append(buf: Buffer): unknown };
  settings: { protocolVersion?: number };
  packet: { length: number };
}

/** A Packet of mqtt-packet's as `_parsePublish` fills it in. */
interface PublishFields {
  cmd: string;
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string;
  messageId?: number;
  payload: Buffer;
}

const PUBLISH = 3;
/** mqtt-packet's state while it waits for the rest of a packet's body (its `_states`: header, length, payload, new packet). */
const PAYLOAD_STATE = 2;

function isParser(value: unknown): value is MqttPacketParser {
  const p = value as Partial<MqttPacketParser> | null | undefined;
  return typeof p?.parse === 'function' && typeof p.emit === 'function' && p.error !== undefined && typeof p._stateCounter === 'number' && typeof p._list?.length === 'number' && typeof p._list.append === 'function' && typeof p.settings === 'object' && typeof p.packet === 'object';
}

/** Installs the in-place read on one aedes client's parser (`client._parser`). */
export function parsePublishesInPlace(client: { _parser?: unknown }, maxBytes: number): void {
  const parser = client._parser;
  if (!isParser(parser)) throw new Error('mqtt-packet internals changed: cannot read publishes in place (see broker/src/publish-parser.ts)');
  const parse = parser.parse;
  parser.parse = function parseInPlace(this: MqttPacketParser, buf: Buffer): number {
    let at = 0;
    // A packet the last read cut in its body: mqtt-packet finishes it with only the bytes it still needs, so the
    // whole packets after it are read here too (else every read would go to mqtt-packet until one ended on a boundary).
    if (this.error === null && this._stateCounter === PAYLOAD_STATE) {
      const needed = this.packet.length - this._list.length;
      if (needed > 0 && needed < buf.length) {
        parse.call(this, buf.subarray(0, needed));
        // As mqtt-packet after an error: the rest of the read stays buffered, unparsed (the next parse drops it).
        if (this.error !== null) {
          this._list.append(buf.subarray(needed));
          return this._list.length;
        }
        at = needed;
      }
    }
    if (this.error === null && this._stateCounter === 0 && this._list.length === 0 && this.settings.protocolVersion !== 5) {
      const Packet = this.packet.constructor as new () => PublishFields;
      const n = buf.length;
      while (at < n) {
        const first = buf[at]!;
        const qos = (first >> 1) & 3;
        if (first >> 4 !== PUBLISH || qos > 1) break;
        // Remaining Length: at most four bytes, seven bits each, least significant first [MQTT-2.2.3].
        let i = at + 1;
        let length = 0;
        let scale = 1;
        let complete = false;
        for (let k = 0; k < 4 && i < n; k++) {
          const byte = buf[i++]!;
          length += (byte & 0x7f) * scale;
          scale *= 128;
          if ((byte & 0x80) === 0) {
            complete = true;
            break;
          }
        }
        const end = i + length;
        // Over the limit: mqtt-packet's path, where guardPacketSize refuses it. Under 2 bytes: no topic length to read.
        if (!complete || end > n || length > maxBytes || length < 2) break;
        const topicEnd = i + 2 + ((buf[i]! << 8) | buf[i + 1]!);
        const payloadAt = topicEnd + (qos === 1 ? 2 : 0);
        if (payloadAt > end) break;
        const packet = new Packet();
        packet.cmd = 'publish';
        packet.retain = (first & 1) !== 0;
        packet.qos = qos;
        packet.dup = (first & 8) !== 0;
        packet.length = length;
        packet.topic = buf.toString('utf8', i + 2, topicEnd);
        if (qos === 1) packet.messageId = (buf[topicEnd]! << 8) | buf[topicEnd + 1]!;
        packet.payload = buf.subarray(payloadAt, end);
        at = end;
        this.emit('packet', packet);
      }
    }
    if (at === 0) return parse.call(this, buf);
    return at < buf.length ? parse.call(this, buf.subarray(at)) : this._list.length;
  };
}
