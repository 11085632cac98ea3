import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { decodePayload, normaliseReadingsMessage, ReadingsMessageSchema } from '@shanshui/models';
import { encodeReadings, packReadings } from './readings-packer.ts';
import type { WireReading } from './readings-packer.ts';

const readings = (n: number, values = 3): WireReading[] =>
  Array.from({ length: n }, (_, i) => ({
    ts: 1_700_000_000_000 + i * 1000,
    values: Object.fromEntries(Array.from({ length: values }, (_, k) => [`m${k}`, k === 0 ? { v: i, q: 'maintenance' } : i + k / 10])),
  }));

test('what fits goes in one message, and the payload is an envelope the platform schema accepts', () => {
  const plan = packReadings(readings(10), { encoding: 'json', maxPayloadBytes: 100_000, maxReadings: 500 });
  assert.equal(plan.count, 10);
  assert.equal(plan.parts.length, 1);
  const decoded = decodePayload(encodeReadings(7, plan.parts[0]!, 'json'));
  assert.ok(decoded.ok);
  const msg = normaliseReadingsMessage(ReadingsMessageSchema.parse(decoded.value));
  assert.equal(msg.seq, 7);
  assert.deepEqual(msg.readings[3]!.values['m0'], { v: 3, q: 'maintenance' });
});

test('CBOR payloads stay within maxPayloadBytes whatever the seq (NB-IoT)', () => {
  const all = readings(200);
  let offset = 0;
  let messages = 0;
  while (offset < all.length) {
    const plan = packReadings(all.slice(offset), { encoding: 'cbor', maxPayloadBytes: 256, maxReadings: 1000 });
    assert.equal(plan.parts.length, 1);
    const payload = encodeReadings(Number.MAX_SAFE_INTEGER, plan.parts[0]!, 'cbor');
    assert.ok(payload.length <= 256, `payload ${payload.length} bytes`);
    assert.ok(ReadingsMessageSchema.safeParse(decodePayload(payload).ok && (decodePayload(payload) as { value: unknown }).value).success);
    offset += plan.count;
    messages++;
  }
  assert.ok(messages > 1);
});

test('maxReadings caps a message', () => {
  assert.equal(packReadings(readings(50), { encoding: 'json', maxPayloadBytes: 1e6, maxReadings: 20 }).count, 20);
});

test('a reading too large for one payload is split into same-ts parts carrying every value', () => {
  const [big] = readings(1, 60);
  const plan = packReadings([big!], { encoding: 'cbor', maxPayloadBytes: 128, maxReadings: 10 });
  assert.equal(plan.count, 1);
  assert.ok(plan.parts.length > 1);
  const merged: Record<string, unknown> = {};
  for (const part of plan.parts) {
    assert.equal(part[0]!.ts, big!.ts);
    assert.ok(encodeReadings(Number.MAX_SAFE_INTEGER, part, 'cbor').length <= 128);
    Object.assign(merged, part[0]!.values);
  }
  assert.deepEqual(merged, big!.values);
});

test('JSON: the readings serialized once while packing give the same payload bytes as serializing the message whole', () => {
  const packed = packReadings(readings(300), { encoding: 'json', maxPayloadBytes: 8 * 1024, maxReadings: 500 });
  expect(packed.partsJson).toHaveLength(1);
  const once = encodeReadings(42, packed.parts[0]!, 'json', packed.partsJson![0]);
  expect(once.equals(Buffer.from(JSON.stringify({ seq: 42, readings: packed.parts[0] })))).toBe(true);
  expect(once.length).toBeLessThanOrEqual(8 * 1024);
  expect(packReadings(readings(300), { encoding: 'cbor', maxPayloadBytes: 8 * 1024, maxReadings: 500 }).partsJson).toBeUndefined();
});
