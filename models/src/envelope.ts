/**
 * The readings envelope a device publishes on `shanshui/v1/{deviceId}/up/readings`.
 * This zod schema is the single source of truth; `readingsJsonSchema()` publishes it for
 * device makers.
 *
 * Single reading:   {"seq": 7, "ts": "2026-11-22T08:00:00Z", "values": {"pm25": 35.2}}
 * Batch:            {"seq": 8, "readings": [{"ts": 1795000000000, "values": {"pm25": {"v": 12, "q": "M"}}}]}
 * A value is a number, or {v, q} with q an HJ 212 data flag letter (N F M S D C T B) or a
 * quality name. JSON or CBOR (same structure; CBOR for NB-IoT).
 */
import * as z from 'zod';
import { HJ212_FLAG_QUALITY, QUALITIES } from './quality.ts';
import type { Quality } from './quality.ts';

import { MAX_READINGS_PER_MESSAGE, MAX_TIMESTAMP_MS, MAX_VALUES_PER_READING } from './envelope-limits.ts';

export { MAX_READINGS_PER_MESSAGE, MAX_TIMESTAMP_MS, MAX_VALUES_PER_READING } from './envelope-limits.ts';

const deviceQualities = QUALITIES.filter((q) => q !== 'implausible' && q !== 'spike' && q !== 'flatline');

export const QualityInputSchema = z
  .union([z.enum(Object.keys(HJ212_FLAG_QUALITY) as [string, ...string[]]), z.enum(deviceQualities as [string, ...string[]])])
  .describe('HJ 212 data flag letter (N F M S D C T B) or quality name')
  .transform((q): Quality => HJ212_FLAG_QUALITY[q] ?? (q as Quality));

const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

export const ValueInputSchema = z.union([
  FiniteNumber,
  z.object({ v: FiniteNumber, q: QualityInputSchema.optional() }).strict(),
]);

/** Device timestamp: ISO 8601 with a zone (`Z` or `+08:00`), or epoch milliseconds (UTC). */
export const TimestampSchema = z
  .union([
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    z.number().int().min(0).max(MAX_TIMESTAMP_MS),
  ])
  .describe('ISO 8601 with zone, or epoch milliseconds');

export const ReadingInputSchema = z
  .object({
    ts: TimestampSchema,
    values: z
      .record(z.string().min(1).max(64), ValueInputSchema)
      .refine((v) => Object.keys(v).length > 0, 'at least one value')
      .refine((v) => Object.keys(v).length <= MAX_VALUES_PER_READING, `at most ${MAX_VALUES_PER_READING} values`),
  })
  .strict();

const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('per-device message sequence number');

export const ReadingsMessageSchema = z.union([
  z.object({ seq: Seq, readings: z.array(ReadingInputSchema).min(1).max(MAX_READINGS_PER_MESSAGE) }).strict(),
  ReadingInputSchema.extend({ seq: Seq }).strict(),
]);

export type ReadingsMessageInput = z.input<typeof ReadingsMessageSchema>;

/** A reading after the envelope is parsed: epoch-ms timestamp, every value with its quality. */
export interface Reading {
  readonly ts: number;
  readonly values: Readonly<Record<string, { readonly v: number; readonly q: Quality }>>;
}

export interface ReadingsMessage {
  readonly seq: number;
  readonly readings: readonly Reading[];
}

/** Normalises a schema-valid message: always a batch, every value `{v, q}`. */
export function normaliseReadingsMessage(parsed: z.output<typeof ReadingsMessageSchema>): ReadingsMessage {
  const list = 'readings' in parsed ? parsed.readings : [{ ts: parsed.ts, values: parsed.values }];
  return {
    seq: parsed.seq,
    readings: list.map((r) => {
      const values: Record<string, { v: number; q: Quality }> = {};
      for (const [metric, value] of Object.entries(r.values)) {
        values[metric] = typeof value === 'number' ? { v: value, q: 'ok' } : { v: value.v, q: value.q ?? 'ok' };
      }
      return { ts: r.ts, values };
    }),
  };
}

/** JSON Schema of the readings envelope, for device makers. */
export function readingsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ReadingsMessageSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
