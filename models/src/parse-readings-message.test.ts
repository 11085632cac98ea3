/**
 * The fast path of parseReadingsMessage against the schema: for every input — valid envelopes,
 * and thousands of mutations of them (wrong types, extra and missing keys, limits ±1, hostile
 * metric names, platform-only qualities, sparse arrays, null-prototype objects, CBOR-only
 * values) — the same accept/refuse decision, the same normalised message, the same issues.
 */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { MAX_READINGS_PER_MESSAGE, MAX_VALUES_PER_READING, ReadingsMessageSchema, normaliseReadingsMessage } from './envelope.ts';
import { parseReadingsMessage } from './parse-readings-message.ts';
import { seededRandom as rng } from './seeded-random.ts';

/** The reference: the schema, and the one rule it cannot say (its records pass over a `__proto__` key): no metric of that name. */
function viaSchema(value: unknown): { success: boolean; message?: unknown; issues?: unknown } {
  const parsed = ReadingsMessageSchema.safeParse(value);
  if (!parsed.success) return { success: false, issues: parsed.error.issues };
  const readings: unknown[] = Array.isArray((value as { readings?: unknown }).readings) ? (value as { readings: unknown[] }).readings : [value];
  const at = readings.findIndex((r) => Object.hasOwn((r as { values: object }).values, '__proto__'));
  if (at >= 0) return { success: false, issues: [{ code: 'custom', path: [...(readings[0] === value ? [] : ['readings', at]), 'values', '__proto__'], message: 'not a metric name', input: undefined }] };
  return { success: true, message: normaliseReadingsMessage(parsed.data) };
}

function check(value: unknown, label = ''): void {
  const ours = parseReadingsMessage(value);
  const ref = viaSchema(value);
  assert.equal(ours.success, ref.success, `decision differs for ${label} ${safeJson(value)}`);
  if (ours.success) assert.deepStrictEqual(ours.message, ref.message, `message differs for ${label} ${safeJson(value)}`);
  else assert.deepStrictEqual(ours.error.issues, ref.issues, `issues differ for ${label} ${safeJson(value)}`);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 300) ?? String(v);
  } catch {
    return String(v);
  }
}

const TS = 1_795_000_000_000;

test('well-formed envelopes: same message as schema + normalise', () => {
  const inputs: unknown[] = [
    { seq: 1, ts: TS, values: { pm25: 35.2 } },
    { seq: 0, ts: 0, values: { pm25: -0, pm10: 1e300 } },
    { seq: Number.MAX_SAFE_INTEGER, ts: 8.64e15, values: { a: 1 } },
    { seq: 2, ts: TS, values: { pm25: { v: 1 }, so2: { v: 2, q: 'M' }, o3: { v: 3, q: 'maintenance' }, co: { v: 4, q: 'N' }, no2: { v: 5, q: 'ok' } } },
    { seq: 3, readings: [{ ts: TS, values: { ph: 7.1 } }, { ts: TS + 1, values: { ph: { v: 7.2, q: 'B' } } }] },
    { seq: 4, ts: '2026-11-22T16:00:00+08:00', values: { pm25: 1 } },
    { seq: 5, readings: Array.from({ length: MAX_READINGS_PER_MESSAGE }, (_, i) => ({ ts: TS + i, values: { x: i } })) },
    { seq: 6, ts: TS, values: Object.fromEntries(Array.from({ length: MAX_VALUES_PER_READING }, (_, i) => [`m${i}`, i])) },
    { seq: 7, ts: TS, values: { ['m'.repeat(64)]: 1, '水位': 2, 'a b': 3, constructor: 4, toString: 5, '0': 6 } },
    Object.assign(Object.create(null) as object, { seq: 8, ts: TS, values: Object.assign(Object.create(null) as object, { pm25: 1 }) }),
  ];
  for (const v of inputs) {
    check(v);
    assert.equal(parseReadingsMessage(v).success, true, safeJson(v));
  }
});

test('refusals: same decision and the same zod issues', () => {
  const inputs: unknown[] = [
    null, undefined, 0, 'x', [], [1], true, new Date(), new Map([['seq', 1]]),
    {},
    { ts: TS, values: { pm25: 1 } },
    { seq: -1, ts: TS, values: { pm25: 1 } },
    { seq: 1.5, ts: TS, values: { pm25: 1 } },
    { seq: Number.MAX_SAFE_INTEGER + 1, ts: TS, values: { pm25: 1 } },
    { seq: '1', ts: TS, values: { pm25: 1 } },
    { seq: 1, ts: -1, values: { pm25: 1 } },
    { seq: 1, ts: 8.64e15 + 1, values: { pm25: 1 } },
    { seq: 1, ts: 1.5, values: { pm25: 1 } },
    { seq: 1, ts: NaN, values: { pm25: 1 } },
    { seq: 1, ts: Infinity, values: { pm25: 1 } },
    { seq: 1, ts: '2026-11-22T08:00:00', values: { pm25: 1 } },
    { seq: 1, ts: TS, values: {} },
    { seq: 1, ts: TS, values: [] },
    { seq: 1, ts: TS, values: null },
    { seq: 1, ts: TS, values: { pm25: '35' } },
    { seq: 1, ts: TS, values: { pm25: NaN } },
    { seq: 1, ts: TS, values: { pm25: Infinity } },
    { seq: 1, ts: TS, values: { pm25: null } },
    { seq: 1, ts: TS, values: { '': 1 } },
    { seq: 1, ts: TS, values: { ['m'.repeat(65)]: 1 } },
    { seq: 1, ts: TS, values: Object.fromEntries(Array.from({ length: MAX_VALUES_PER_READING + 1 }, (_, i) => [`m${i}`, i])) },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: 'implausible' } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: 'spike' } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: 'Z' } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: 'constructor' } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: null } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, q: undefined } } },
    { seq: 1, ts: TS, values: { pm25: { v: 1, extra: 1 } } },
    { seq: 1, ts: TS, values: { pm25: { q: 'M' } } },
    { seq: 1, ts: TS, values: { pm25: { v: '1' } } },
    { seq: 1, ts: TS, values: { pm25: {} } },
    { seq: 1, ts: TS, values: { pm25: 1 }, extra: true },
    { seq: 1, ts: TS },
    { seq: 1, values: { pm25: 1 } },
    { seq: 1, readings: [] },
    { seq: 1, readings: {} },
    { seq: 1, readings: [null] },
    { seq: 1, readings: [{ ts: TS }] },
    { seq: 1, readings: [{ ts: TS, values: { a: 1 }, x: 1 }] },
    { seq: 1, readings: [{ ts: TS, values: { a: 1 } }], ts: TS },
    { seq: 1, readings: [{ ts: TS, values: { a: 1 } }], values: { a: 1 } },
    { seq: 1, readings: [{ ts: TS, values: { a: 1 } }], ts: TS, values: { a: 1 } },
    { seq: 1, readings: Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, i) => ({ ts: TS + i, values: { x: i } })) },
    { seq: 1, readings: [{ ts: TS, values: { a: 1 } }, , { ts: TS, values: { a: 1 } }] },
    JSON.parse('{"seq": 1, "ts": 1795000000000, "values": {"__proto__": 1}}'),
    JSON.parse('{"seq": 1, "ts": 1795000000000, "values": {"__proto__": {"v": 1}, "pm25": 1}}'),
    JSON.parse('{"seq": 1, "ts": 1795000000000, "values": {"pm25": 1}, "__proto__": {"x": 1}}'),
  ];
  for (const v of inputs) check(v);
});

test('random mutations of valid envelopes: the fast path never disagrees with the schema', () => {
  const r = rng(2026);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const odd: unknown[] = [null, undefined, NaN, Infinity, -Infinity, -1, 0, -0, 1.5, 2 ** 53, 8.64e15, 8.64e15 + 1, '', 'M', 'ok', 'implausible', 'x', [], {}, { v: 1 }, { v: 1, q: 'F' }, { v: NaN }, true, TS, '2026-11-22T08:00:00Z'];
  const metricNames = ['pm25', 'so2', '', 'm'.repeat(64), 'm'.repeat(65), '__proto__', 'constructor', 'q_pm25', '水'];
  const value = (): unknown => (r() < 0.7 ? Math.round((r() - 0.2) * 1e4) / 100 : r() < 0.5 ? { v: r() * 10, ...(r() < 0.5 ? { q: pick(['N', 'M', 'ok', 'stopped', 'spike', 'Z']) } : {}) } : pick(odd));
  const values = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let n = Math.floor(r() * 5); n >= 0; n--) out[r() < 0.85 ? `m${Math.floor(r() * 8)}` : pick(metricNames)] = value();
    if (r() < 0.05) return {};
    return out;
  };
  const reading = (): Record<string, unknown> => {
    const out: Record<string, unknown> = { ts: r() < 0.9 ? TS + Math.floor(r() * 1000) : pick(odd), values: r() < 0.95 ? values() : pick(odd) };
    if (r() < 0.05) delete out[pick(['ts', 'values'])];
    if (r() < 0.05) out[pick(['x', 'seq', 'q'])] = 1;
    return out;
  };
  for (let i = 0; i < 20_000; i++) {
    let msg: Record<string, unknown>;
    if (r() < 0.5) msg = { seq: r() < 0.9 ? Math.floor(r() * 1e6) : pick(odd), ...reading() };
    else msg = { seq: r() < 0.9 ? Math.floor(r() * 1e6) : pick(odd), readings: r() < 0.95 ? Array.from({ length: Math.floor(r() * 4) }, reading) : pick(odd) };
    if (r() < 0.05) delete msg['seq'];
    if (r() < 0.03) msg['extra'] = pick(odd);
    check(msg, `#${i}`);
    // The same value after a JSON round trip, as the platform decodes it.
    const json = safeJson(msg);
    if (json.length < 300 && !json.startsWith('undefined')) check(JSON.parse(JSON.stringify(msg)) as unknown, `#${i} json`);
  }
});
