/** One readings message from a lane's rows: one station per message, pass-overs, corrupt and oversize rows. */
import { test, expect } from 'vitest';
import type { BufferedItem } from '../buffer/reading-buffer.ts';
import { planReadingsMessage } from './readings-message-plan.ts';

const LIMITS = { encoding: 'json' as const, maxPayloadBytes: 4096, maxReadings: 100 };
const row = (id: number, station?: string, body = JSON.stringify({ ts: id, values: { pm25: id } })): BufferedItem => ({ id, kind: 'readings', body, station, bytes: body.length });
const none = (): boolean => false;

test('the first row\'s station is gathered from interleaved rows; the cursor stops at the first row of another station', () => {
  const rows = [row(1, 'a'), row(2, 'b'), row(3, 'a'), row(4, 'b')];
  const plan = planReadingsMessage(rows, none, LIMITS);
  expect(plan.station).toBe('a');
  expect(plan.carried.map((r) => r.id)).toEqual([1, 3]);
  expect(plan.parts).toEqual([[{ ts: 1, values: { pm25: 1 } }, { ts: 3, values: { pm25: 3 } }]]);
  expect(plan.cursorTo).toBe(1);
});

test('rows passed over (in flight, parked) are skipped and the cursor moves over them', () => {
  const rows = [row(1, 'a'), row(2), row(3)];
  const plan = planReadingsMessage(rows, (r) => r.station === 'a', LIMITS);
  expect(plan.station).toBeUndefined();
  expect(plan.carried.map((r) => r.id)).toEqual([2, 3]);
  expect(plan.cursorTo).toBe(3);
  const all = planReadingsMessage(rows, () => true, LIMITS);
  expect(all).toMatchObject({ carried: [], parts: [], corrupt: [], cursorTo: 3 });
});

test('a corrupt row is reported for dropping and counts as handled', () => {
  const rows = [row(1, undefined, '{not json'), row(2)];
  const plan = planReadingsMessage(rows, none, LIMITS);
  expect(plan.corrupt.map((r) => r.id)).toEqual([1]);
  expect(plan.carried.map((r) => r.id)).toEqual([2]);
  expect(plan.cursorTo).toBe(2);
});

test('maxReadings caps the message; the cursor stops at the last row carried', () => {
  const rows = [row(1), row(2), row(3)];
  const plan = planReadingsMessage(rows, none, { ...LIMITS, maxReadings: 2 });
  expect(plan.carried.map((r) => r.id)).toEqual([1, 2]);
  expect(plan.cursorTo).toBe(2);
});

test('a reading too big for one payload is split; a value that fits nowhere is dropped and flagged', () => {
  const big = 'x'.repeat(300);
  const values = { a: 1, b: 2, c: 3 };
  const split = planReadingsMessage([row(1, undefined, JSON.stringify({ ts: 1, values }))], none, { ...LIMITS, maxPayloadBytes: 70 });
  expect(split.parts.length).toBeGreaterThan(1);
  expect(split.parts.flatMap((p) => Object.keys(p[0]!.values)).sort()).toEqual(['a', 'b', 'c']);
  expect(split.valuesDropped).toBe(false);
  const lossy = planReadingsMessage([row(1, undefined, JSON.stringify({ ts: 1, values: { a: 1, [big]: 2 } }))], none, { ...LIMITS, maxPayloadBytes: 70 });
  expect(lossy.parts.flatMap((p) => Object.keys(p[0]!.values))).toEqual(['a']);
  expect(lossy.valuesDropped).toBe(true);
  const hopeless = planReadingsMessage([row(1, undefined, JSON.stringify({ ts: 1, values: { [big]: 2 } }))], none, { ...LIMITS, maxPayloadBytes: 70 });
  expect(hopeless).toMatchObject({ parts: [], cursorTo: 1 });
  expect(hopeless.carried.map((r) => r.id)).toEqual([1]);
});
