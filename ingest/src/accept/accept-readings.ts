/**
 * From an authorised MQTT publish on `…/up/readings` to what the spool keeps, as ordered steps:
 *   1. station   — the registry knows the device (it authenticated; it may have been deleted since)
 *   2. decode    — JSON or CBOR
 *   3. envelope  — the zod schema of the wire contract (parseReadingsMessage: a fast path for
 *                  well-formed messages, the schema for everything else)
 *   4. validate  — metrics known for the station's domain, timestamps sane, plausibility flags
 *   5. enrich    — station tags; readings become InfluxDB line protocol (the spool record)
 * Anything refused becomes a dead letter with the raw payload and the exact reason; the
 * device's valid readings in the same message still go through. Never throws on a payload.
 */
import { decodePayload, formatEnvelopeIssues, parseReadingsMessage, validateReadings } from '@shanshui/models';
import type { Reading, Station } from '@shanshui/models';
import type { IngestErrorCode } from '../errors.ts';
import { INGEST_ERRORS } from '../errors.ts';
import { readingsToLineProtocol } from '../store/line-protocol.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';

export interface AcceptContext {
  readonly station: (deviceId: string) => Station | undefined;
  readonly nowMs: () => number;
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
}

export interface AcceptedMessage {
  readonly station?: Station;
  readonly seq?: number;
  /** Nothing of the message was stored: it counts as rejected in the delivery statistics, not as missing. */
  readonly rejected?: boolean;
  readonly readings: readonly Reading[];
  /** Line protocol for the spool; empty when nothing was accepted. */
  readonly lines: string;
  readonly implausible: number;
  readonly deadLetters: readonly DeadLetterInput[];
}

export function acceptReadings(ctx: AcceptContext, deviceId: string, topic: string, payload: Buffer): AcceptedMessage {
  const dead = (code: IngestErrorCode, reason: string, encoding = 'unknown', seq?: number): AcceptedMessage => ({
    ...(seq !== undefined ? { seq } : {}),
    rejected: true,
    readings: [],
    lines: '',
    implausible: 0,
    deadLetters: [{ deviceId, topic, code, reason: `${INGEST_ERRORS[code]}: ${reason}`, payload, encoding }],
  });

  const station = ctx.station(deviceId);
  if (!station) return dead('INGEST_ERR_UNKNOWN_DEVICE', deviceId);

  const decoded = decodePayload(payload);
  if (!decoded.ok) return dead('INGEST_ERR_PAYLOAD_UNDECODABLE', decoded.reason, decoded.encoding);

  const parsed = parseReadingsMessage(decoded.value);
  if (!parsed.success) return dead('INGEST_ERR_PAYLOAD_INVALID', formatEnvelopeIssues(parsed.error, decoded.value), decoded.encoding, readableSeq(decoded.value));
  const message = parsed.message;

  const result = validateReadings(message, station.domain, {
    nowMs: ctx.nowMs(),
    maxFutureSkewMs: ctx.maxFutureSkewMs,
    maxAgeMs: ctx.maxAgeMs,
  });

  const deadLetters: DeadLetterInput[] = result.rejected.map((r) => ({
    deviceId,
    topic,
    code: 'INGEST_ERR_READING_REJECTED',
    reason: `${INGEST_ERRORS.INGEST_ERR_READING_REJECTED}: seq ${message.seq}: ${r.reason}`,
    payload,
    encoding: decoded.encoding,
  }));

  const lines = readingsToLineProtocol(station, result.accepted);
  const rejected = result.accepted.length === 0 && deadLetters.length > 0;
  return { station, seq: message.seq, rejected, readings: result.accepted, lines, implausible: result.implausible, deadLetters };
}

/** The `seq` of a message the envelope refused, when it has a usable one: its number was delivered, just not accepted. */
function readableSeq(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const seq = (value as { seq?: unknown }).seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}
