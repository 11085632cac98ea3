import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ReadingsMessageSchema, normaliseReadingsMessage, readingsJsonSchema } from './envelope.ts';
import { decodePayload, encodePayload } from './payload-codec.ts';
import { validateReadings } from './validate-readings.ts';
import { parseReadingsMessage } from './parse-readings-message.ts';
import { formatEnvelopeIssues } from './envelope-issues.ts';

const now = Date.parse('2026-11-22T08:00:00Z');
const opts = { nowMs: now, maxFutureSkewMs: 300_000, maxAgeMs: 365 * 86_400_000 };

test('single reading with ISO timestamp and bare numbers normalises to a batch of {v,q}', () => {
  const parsed = ReadingsMessageSchema.parse({ seq: 1, ts: '2026-11-22T16:00:00+08:00', values: { pm25: 35.2 } });
  const msg = normaliseReadingsMessage(parsed);
  assert.equal(msg.seq, 1);
  assert.deepEqual(msg.readings, [{ ts: now, values: { pm25: { v: 35.2, q: 'ok' } } }]);
});

test('batch with HJ 212 data flags (HJ 212 §6.3: N F M S D C T B) maps onto qualities', () => {
  const parsed = ReadingsMessageSchema.parse({
    seq: 2,
    readings: [
      { ts: now, values: { pm25: { v: 1, q: 'M' }, pm10: { v: 2, q: 'T' }, so2: { v: 3, q: 'N' } } },
      { ts: now + 1000, values: { no2: { v: 4, q: 'calibration' } } },
    ],
  });
  const msg = normaliseReadingsMessage(parsed);
  assert.equal(msg.readings[0]!.values['pm25']!.q, 'maintenance');
  assert.equal(msg.readings[0]!.values['pm10']!.q, 'over_range');
  assert.equal(msg.readings[0]!.values['so2']!.q, 'ok');
  assert.equal(msg.readings[1]!.values['no2']!.q, 'calibration');
});

test('schema refuses wrong types, missing seq, zone-less timestamps, platform-only flags, NaN-like input', () => {
  const bad: unknown[] = [
    { ts: now, values: { pm25: 1 } },
    { seq: -1, ts: now, values: { pm25: 1 } },
    { seq: 1, ts: '2026-11-22T08:00:00', values: { pm25: 1 } },
    { seq: 1, ts: now, values: { pm25: '35' } },
    { seq: 1, ts: now, values: {} },
    { seq: 1, ts: now, values: { pm25: { v: 1, q: 'implausible' } } },
    { seq: 1, ts: now, values: { pm25: { v: 1, q: 'Z' } } },
    { seq: 1, readings: [] },
    { seq: 1, ts: now, values: { pm25: 1 }, extra: true },
    null,
    [],
  ];
  for (const input of bad) assert.equal(ReadingsMessageSchema.safeParse(input).success, false, JSON.stringify(input));
});

test('JSON and CBOR decode to the same envelope; garbage is a reason, not a throw', () => {
  const value = { seq: 5, readings: [{ ts: now, values: { ph: 7.1 } }] };
  for (const encoding of ['json', 'cbor'] as const) {
    const decoded = decodePayload(encodePayload(value, encoding));
    assert.ok(decoded.ok);
    assert.equal(decoded.encoding, encoding);
    assert.deepEqual(decoded.value, value);
  }
  const garbage = decodePayload(Buffer.from([0xff, 0x00, 0x13]));
  assert.equal(garbage.ok, false);
  const badJson = decodePayload(Buffer.from('{"seq":'));
  assert.equal(badJson.ok, false);
  assert.match(badJson.ok ? '' : badJson.reason, /not valid JSON/);
  assert.equal(decodePayload(Buffer.alloc(0)).ok, false);
});

test('unknown metric and far-future timestamp reject the reading; out-of-range values are kept and flagged', () => {
  const msg = normaliseReadingsMessage(
    ReadingsMessageSchema.parse({
      seq: 9,
      readings: [
        { ts: now, values: { pm25: 99999 } },
        { ts: now, values: { ph: 7 } },
        { ts: now + 3_600_000, values: { pm25: 1 } },
        { ts: now, values: { pm25: 20, supply_voltage: 12.1 } },
      ],
    }),
  );
  const result = validateReadings(msg, 'air', opts);
  assert.equal(result.accepted.length, 2);
  assert.equal(result.accepted[0]!.values['pm25']!.q, 'implausible');
  assert.equal(result.implausible, 1);
  assert.deepEqual(
    result.rejected.map((r) => r.index),
    [1, 2],
  );
  assert.match(result.rejected[0]!.reason, /unknown metric\(s\) for domain air: ph/);
  assert.match(result.rejected[1]!.reason, /in the future/);
});

test('the published JSON Schema describes seq, ts and values', () => {
  const schema = JSON.stringify(readingsJsonSchema());
  for (const word of ['seq', 'readings', 'values', 'ts']) assert.ok(schema.includes(`"${word}"`), word);
});

test('a metric named __proto__ refuses the envelope, naming it — not silently dropped with the rest stored', () => {
  for (const text of [
    '{"seq": 1, "ts": 1795000000000, "values": {"__proto__": 5, "pm25": 1}}',
    '{"seq": 1, "readings": [{"ts": 1795000000000, "values": {"pm25": 1}}, {"ts": 1795000001000, "values": {"pm25": 2, "__proto__": {"v": 1}}}]}',
  ]) {
    const parsed = parseReadingsMessage(JSON.parse(text));
    assert.equal(parsed.success, false, text);
    if (!parsed.success) assert.match(formatEnvelopeIssues(parsed.error, JSON.parse(text)), /values\.__proto__: not a metric name/, text);
  }
});
