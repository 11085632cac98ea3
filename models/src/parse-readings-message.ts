/**
 * Parses and normalises a decoded readings envelope: `ReadingsMessageSchema` (the single source
 * of truth) then `normaliseReadingsMessage` — with a fast path for the common, well-formed
 * shapes (epoch-ms timestamps, numeric or `{v, q}` values, plain objects). The fast path only
 * ever says yes to input the schema accepts, and builds exactly what the schema + normalise
 * would; anything else, valid or not, goes through zod, so every refusal and its message are
 * zod's. parse-readings-message.test.ts checks both paths against each other.
 */
import { z } from 'zod';
import { MAX_READINGS_PER_MESSAGE, MAX_TIMESTAMP_MS, MAX_VALUES_PER_READING, ReadingsMessageSchema, normaliseReadingsMessage } from './envelope.ts';
import type { Reading, ReadingsMessage } from './envelope.ts';
import { HJ212_FLAG_QUALITY, QUALITIES } from './quality.ts';
import type { Quality } from './quality.ts';

export type ParsedReadingsMessage = { readonly success: true; readonly message: ReadingsMessage } | { readonly success: false; readonly error: z.ZodError };

/** Quality input → quality, for exactly the inputs QualityInputSchema accepts. */
const QUALITY_INPUT = new Map<string, Quality>();
/** The quality inputs the schema accepts (HJ 212 flags and quality names a device may send), and what each means. */
export const QUALITY_INPUTS: ReadonlyMap<string, Quality> = QUALITY_INPUT;
for (const [flag, q] of Object.entries(HJ212_FLAG_QUALITY)) QUALITY_INPUT.set(flag, q);
for (const q of QUALITIES) if (q !== 'implausible' && q !== 'spike' && q !== 'flatline') QUALITY_INPUT.set(q, q);


function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/** One value, or undefined when the fast path cannot vouch for it. */
function fastValue(x: unknown): { v: number; q: Quality } | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? { v: x, q: 'ok' } : undefined;
  if (!isPlainObject(x)) return undefined;
  const keys = Object.keys(x);
  const v = x['v'];
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  if (keys.length === 1) return keys[0] === 'v' ? { v, q: 'ok' } : undefined;
  if (keys.length !== 2 || !Object.hasOwn(x, 'q')) return undefined;
  const q = x['q'];
  const quality = typeof q === 'string' ? QUALITY_INPUT.get(q) : undefined;
  return quality === undefined ? undefined : { v, q: quality };
}

function fastReading(x: unknown, keyCount: number): Reading | undefined {
  if (!isPlainObject(x)) return undefined;
  if (Object.keys(x).length !== keyCount) return undefined;
  const ts = x['ts'];
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0 || ts > MAX_TIMESTAMP_MS) return undefined;
  const raw = x['values'];
  if (!isPlainObject(raw)) return undefined;
  const metrics = Object.keys(raw);
  if (metrics.length === 0 || metrics.length > MAX_VALUES_PER_READING) return undefined;
  const values: Record<string, { v: number; q: Quality }> = {};
  for (const metric of metrics) {
    if (metric.length === 0 || metric.length > 64 || metric === '__proto__') return undefined;
    const value = fastValue(raw[metric]);
    if (!value) return undefined;
    values[metric] = value;
  }
  return { ts, values };
}

function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** The fast path: the normalised message, or undefined to let zod decide. */
function fastParse(value: unknown): ReadingsMessage | undefined {
  if (!isPlainObject(value) || !isSeq(value['seq'])) return undefined;
  const seq = value['seq'];
  if (Object.hasOwn(value, 'readings')) {
    const list = value['readings'];
    if (Object.keys(value).length !== 2 || !Array.isArray(list) || list.length === 0 || list.length > MAX_READINGS_PER_MESSAGE) return undefined;
    const readings: Reading[] = new Array<Reading>(list.length);
    for (let i = 0; i < list.length; i++) {
      // A sparse array's holes are not objects: zod refuses them, and so does fastReading.
      const r = fastReading(list[i], 2);
      if (!r || !Object.hasOwn(list[i] as object, 'values') || !Object.hasOwn(list[i] as object, 'ts')) return undefined;
      readings[i] = r;
    }
    return { seq, readings };
  }
  // Single reading: exactly seq, ts, values.
  if (!Object.hasOwn(value, 'ts') || !Object.hasOwn(value, 'values')) return undefined;
  const r = fastReading(value, 3);
  return r ? { seq, readings: [r] } : undefined;
}

export function parseReadingsMessage(value: unknown): ParsedReadingsMessage {
  const fast = fastParse(value);
  if (fast) return { success: true, message: fast };
  const parsed = ReadingsMessageSchema.safeParse(value);
  if (!parsed.success) return { success: false, error: parsed.error };
  const proto = protoMetricPath(value);
  if (proto) return { success: false, error: new z.ZodError([{ code: 'custom', path: proto, message: 'not a metric name', input: undefined }]) };
  return { success: true, message: normaliseReadingsMessage(parsed.data) };
}

/**
 * Where the input has a metric named `__proto__`, or undefined. zod's records pass over that key
 * (it would set the prototype of the object they build), so the reading was stored without it and
 * nothing said so; a metric no station has is the device's error to hear about, as any other.
 */
function protoMetricPath(value: unknown): Array<string | number> | undefined {
  const hasProto = (r: unknown): boolean => isPlainObject(r) && isPlainObject(r['values']) && Object.hasOwn(r['values'], '__proto__');
  if (!isPlainObject(value)) return undefined;
  const list = value['readings'];
  if (Array.isArray(list)) {
    const i = list.findIndex(hasProto);
    return i === -1 ? undefined : ['readings', i, 'values', '__proto__'];
  }
  return hasProto(value) ? ['values', '__proto__'] : undefined;
}
