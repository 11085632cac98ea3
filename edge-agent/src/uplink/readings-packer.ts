/**
 * Packs buffered readings into envelopes the platform accepts (`{seq, readings: [...]}`,
 * models/envelope.ts), JSON or CBOR, within a payload size limit and
 * MAX_READINGS_PER_MESSAGE. Pure: no I/O.
 *
 * A reading whose values alone do not fit is split into several readings with the same
 * timestamp (the platform stores a reading as one point per (series, ts), so the parts merge
 * into the same point); its buffer row is acknowledged once every part is.
 */
import { encodePayload, MAX_READINGS_PER_MESSAGE } from '@shanshui/models/edge';
import type { PayloadEncoding } from '@shanshui/models/edge';

/** A reading on the wire: epoch-ms ts; a value is a number (quality ok) or `{v, q}`. */
export interface WireReading {
  ts: number;
  values: Record<string, number | { v: number; q: string }>;
}

export interface PackLimits {
  readonly encoding: PayloadEncoding;
  /** Largest payload, bytes. */
  readonly maxPayloadBytes: number;
  /** Most readings per message (≤ MAX_READINGS_PER_MESSAGE). */
  readonly maxReadings: number;
}

export interface PackedMessage {
  /** How many of the given readings (from the front) this message plan carries. */
  readonly count: number;
  /** The readings of each payload to send; more than one only when a single reading was split. */
  readonly parts: WireReading[][];
  /** JSON: each part's readings already serialized (for `encodeReadings`); absent when split or CBOR. */
  readonly partsJson?: string[];
}

/** Upper bound of any seq's encoded size, so a plan stays within the limit whatever seq it gets. */
const SEQ_PROBE = Number.MAX_SAFE_INTEGER;

/**
 * The payload `{ seq, readings }`. For JSON, `readingsJson` (the readings already serialized, as
 * `packReadings` returns them) saves serializing 500 readings a second time per message; the
 * bytes are the same as `JSON.stringify({ seq, readings })`.
 */
export function encodeReadings(seq: number, readings: readonly WireReading[], encoding: PayloadEncoding, readingsJson?: string): Buffer {
  if (encoding === 'json') return Buffer.from(`{"seq":${seq},"readings":${readingsJson ?? JSON.stringify(readings)}}`);
  return encodePayload({ seq, readings }, encoding);
}

/** Size of the payload of `readings` (with the largest seq), and for JSON the readings' text to reuse. */
function measure(readings: readonly WireReading[], encoding: PayloadEncoding): { size: number; json?: string } {
  if (encoding !== 'json') return { size: encodeReadings(SEQ_PROBE, readings, encoding).length };
  const json = JSON.stringify(readings);
  return { size: Buffer.byteLength(json) + `{"seq":${SEQ_PROBE},"readings":}`.length, json };
}

const sizeOf = (readings: readonly WireReading[], encoding: PayloadEncoding): number => measure(readings, encoding).size;

/** Plans the next message from the front of `readings` (non-empty). */
export function packReadings(readings: readonly WireReading[], limits: PackLimits): PackedMessage {
  if (readings.length === 0) throw new RangeError('packReadings needs at least one reading');
  let n = Math.min(readings.length, limits.maxReadings, MAX_READINGS_PER_MESSAGE);
  for (;;) {
    const { size, json } = measure(readings.slice(0, n), limits.encoding);
    if (size <= limits.maxPayloadBytes) return { count: n, parts: [readings.slice(0, n)], ...(json !== undefined ? { partsJson: [json] } : {}) };
    if (n === 1) break;
    // Shrink proportionally, always by at least one.
    n = Math.max(1, Math.min(n - 1, Math.floor((n * limits.maxPayloadBytes) / size)));
  }
  return { count: 1, parts: splitReading(readings[0]!, limits) };
}

/** Splits one reading's values over as many same-ts readings as needed; a value that fits nowhere is dropped. */
function splitReading(reading: WireReading, limits: PackLimits): WireReading[][] {
  const parts: WireReading[][] = [];
  let current: WireReading = { ts: reading.ts, values: {} };
  for (const [metric, value] of Object.entries(reading.values)) {
    const candidate: WireReading = { ts: reading.ts, values: { ...current.values, [metric]: value } };
    if (sizeOf([candidate], limits.encoding) <= limits.maxPayloadBytes) {
      current = candidate;
      continue;
    }
    if (Object.keys(current.values).length > 0) parts.push([current]);
    current = { ts: reading.ts, values: { [metric]: value } };
    if (sizeOf([current], limits.encoding) > limits.maxPayloadBytes) current = { ts: reading.ts, values: {} };
  }
  if (Object.keys(current.values).length > 0) parts.push([current]);
  return parts;
}
