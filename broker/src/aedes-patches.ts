/**
 * The two places where Shanshui reaches into aedes' private internals, kept together so an
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
