/**
 * From an authorised MQTT publish on `…/up/readings` to what the spool keeps, as ordered steps:
 *   1. station   — the registry knows the device (it authenticated; it may have been deleted since)
 *   2. decode    — JSON or CBOR
 *   3. envelope  — the zod schema of the wire contract (parseReadingsMessage: a fast path for
 *                  well-formed messages, the schema for everything else)
 *   4. validate  — metrics known for the station's profile (or domain), timestamps sane, plausibility flags
 *   5. enrich    — 折算 values a pollution source's logger did not send (docs/standards/pollution-source.md);
 *                  station tags; readings become InfluxDB line protocol (the spool record)
 * Anything refused becomes a dead letter with the raw payload and the exact reason; the
 * device's valid readings in the same message still go through. Never throws on a payload.
 *
 * Steps 2–5 are done in one pass over the bytes for the common, well-formed JSON shape
 * (one-pass-readings.ts); anything else takes the steps one by one (`acceptReadingsValidated`),
 * and both give the same result (one-pass-readings.test.ts).
 */
import { DOMAIN_SPECS, addCorrectedValues, decodePayload, formatEnvelopeIssues, parseReadingsMessage, validateReadings } from '@shanshui/models';
import type { Domain, MetricSpec, Reading, Station } from '@shanshui/models';
import type { IngestErrorCode } from '../errors.ts';
import { INGEST_ERRORS } from '../errors.ts';
import { readingsToLineProtocol } from '../store/line-protocol.ts';
import { onePassReadings } from './one-pass-readings.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';

export interface AcceptContext {
  readonly station: (deviceId: string) => Station | undefined;
  readonly nowMs: () => number;
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
  /** What a station's readings are validated against (ProfileCatalogue.metricsFor). Default its domain. */
  readonly metricsFor?: (station: Station) => Domain | Readonly<Record<string, MetricSpec>>;
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

/**
 * A readings message's verdict. Never throws: a throw here is a defect of ours, and refusing the
 * publish for it would have the device resend the same message for ever (and, on an accept worker,
 * kill the thread until the pool redid it on the main thread). So the message becomes a dead letter
 * that names the error and keeps the payload, and the device gets its PUBACK.
 */
export function acceptReadings(ctx: AcceptContext, deviceId: string, topic: string, payload: Buffer): AcceptedMessage {
  try {
    return acceptReadingsOnce(ctx, deviceId, topic, payload);
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      rejected: true,
      readings: [],
      lines: '',
      implausible: 0,
      deadLetters: [{ deviceId, topic, code: 'INGEST_ERR_ACCEPT_FAILED', reason: `${INGEST_ERRORS.INGEST_ERR_ACCEPT_FAILED}: ${detail}`, payload, encoding: 'unknown' }],
    };
  }
}

function acceptReadingsOnce(ctx: AcceptContext, deviceId: string, topic: string, payload: Buffer): AcceptedMessage {
  const station = ctx.station(deviceId);
  if (station) {
    const against = ctx.metricsFor ? ctx.metricsFor(station) : station.domain;
    const fast = onePassReadings(station, against, payload, { nowMs: ctx.nowMs(), maxFutureSkewMs: ctx.maxFutureSkewMs, maxAgeMs: ctx.maxAgeMs });
    if (fast) return { station, seq: fast.seq, rejected: false, readings: fast.readings, lines: fast.lines, implausible: fast.implausible, deadLetters: [] };
  }
  return acceptReadingsValidated(ctx, deviceId, topic, payload);
}

/** The steps one by one: what every payload the one pass does not vouch for goes through. */
export function acceptReadingsValidated(ctx: AcceptContext, deviceId: string, topic: string, payload: Buffer): AcceptedMessage {
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

  const against = ctx.metricsFor ? ctx.metricsFor(station) : station.domain;
  const result = validateReadings(message, against, {
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

  const readings = station.domain === 'pollution_source' ? withCorrected(station, against, result.accepted) : result.accepted;
  const lines = readingsToLineProtocol(station, readings);
  const rejected = result.accepted.length === 0 && deadLetters.length > 0;
  return { station, seq: message.seq, rejected, readings, lines, implausible: result.implausible, deadLetters };
}

/** Adds `<metric>_zs` from the station's `o2Reference` where the logger sent only the measured value. */
function withCorrected(station: Station, against: Domain | Readonly<Record<string, MetricSpec>>, readings: readonly Reading[]): readonly Reading[] {
  const ref = station.attributes?.['o2Reference'];
  const o2Reference = typeof ref === 'number' ? ref : typeof ref === 'string' && ref.trim() !== '' ? Number(ref) : undefined;
  if (o2Reference === undefined || !Number.isFinite(o2Reference)) return readings;
  const metrics = typeof against === 'string' ? DOMAIN_SPECS[against].metrics : against;
  return readings.map((r) => addCorrectedValues(r, metrics, o2Reference));
}

/** The `seq` of a message the envelope refused, when it has a usable one: its number was delivered, just not accepted. */
function readableSeq(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const seq = (value as { seq?: unknown }).seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}
