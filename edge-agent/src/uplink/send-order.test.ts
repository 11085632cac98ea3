/** Which rows go next, against a real buffer file: urgent, live, then the backlog within the cap. */
import { test, expect, onTestFinished } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReadingBuffer } from '../buffer/reading-buffer.ts';
import type { BufferItemInput } from '../buffer/reading-buffer.ts';
import { SendOrder } from './send-order.ts';
import type { NextSend } from './send-order.ts';

function buffer(): ReadingBuffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-send-order-'));
  const b = new ReadingBuffer({ file: path.join(dir, 'buffer.db') });
  onTestFinished(() => {
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return b;
}
const reading = (n: number): BufferItemInput => ({ priority: 'routine', kind: 'readings', body: JSON.stringify({ ts: n, values: { v: n } }) });
const urgentReading = (n: number): BufferItemInput => ({ priority: 'urgent', kind: 'readings', body: JSON.stringify({ ts: n, values: { v: n } }) });
const event: BufferItemInput = { priority: 'urgent', kind: 'events', body: '{"type":"alarm"}' };

/** Takes every row the order offers (advancing past all of them) until it has nothing left. */
function drain(order: SendOrder, now = 0): Array<{ lane: string; ids: number[] }> {
  const out: Array<{ lane: string; ids: number[] }> = [];
  for (let next: NextSend = order.next(now); next.kind === 'rows'; next = order.next(now)) {
    out.push({ lane: next.lane, ids: next.rows.map((r) => r.id) });
    next.advance(next.rows.at(-1)!.id);
  }
  return out;
}

test('urgent first (an event alone, urgent readings up to the next event), then live rows, then the backlog', () => {
  const b = buffer();
  b.append([reading(1), reading(2)]); // ids 1, 2: backlog
  const order = new SendOrder(b, { maxRows: 10, batched: false, drainRatePerSec: undefined }, 0);
  order.restart(0);
  b.append([urgentReading(3), urgentReading(4), event, urgentReading(6), reading(7)]);
  expect(order.backlogPending).toBe(true);
  expect(drain(order)).toEqual([
    { lane: 'urgent', ids: [3, 4] },
    { lane: 'urgent', ids: [5] },
    { lane: 'urgent', ids: [6] },
    { lane: 'live', ids: [7] },
    { lane: 'backlog', ids: [1, 2] },
  ]);
  expect(order.next(0)).toEqual({ kind: 'idle', backlogDrained: false });
  expect(order.backlogPending).toBe(false);
});

test('backlog rows that left the buffer before they were sent (quota, acknowledged): the backlog is drained', () => {
  const b = buffer();
  b.append([reading(1), reading(2)]);
  const order = new SendOrder(b, { maxRows: 10, batched: false, drainRatePerSec: undefined }, 0);
  order.restart(0);
  b.ack([1, 2]);
  expect(order.backlogPending).toBe(true);
  expect(order.next(0)).toEqual({ kind: 'idle', backlogDrained: true });
  expect(order.backlogPending).toBe(false);
});

test('batched (nbiot): live rows wait for releaseLive, and only those appended by then go', () => {
  const b = buffer();
  const order = new SendOrder(b, { maxRows: 10, batched: true, drainRatePerSec: undefined }, 0);
  order.restart(0);
  b.append([reading(1), reading(2)]);
  expect(drain(order)).toEqual([]);
  order.releaseLive();
  b.append([reading(3)]);
  expect(drain(order)).toEqual([{ lane: 'live', ids: [1, 2] }]);
  order.releaseLive();
  expect(drain(order)).toEqual([{ lane: 'live', ids: [3] }]);
});

test('the drain cap spaces backlog messages; urgent and live rows never wait for it', () => {
  const b = buffer();
  b.append([reading(1), reading(2)]);
  const order = new SendOrder(b, { maxRows: 1, batched: false, drainRatePerSec: 10 }, 0);
  order.restart(0);
  const first = order.next(0);
  expect(first).toMatchObject({ kind: 'rows', lane: 'backlog' });
  if (first.kind === 'rows') first.advance(1);
  order.backlogSent();
  expect(order.next(0)).toEqual({ kind: 'wait', ms: 100 });
  b.append([urgentReading(3)]);
  expect(order.next(0)).toMatchObject({ kind: 'rows', lane: 'urgent' });
  expect(order.next(100)).toMatchObject({ kind: 'rows', lane: 'urgent' });
});

test('rewind looks at every row again; restart makes the whole buffer backlog', () => {
  const b = buffer();
  b.append([reading(1), urgentReading(2)]);
  const order = new SendOrder(b, { maxRows: 10, batched: false, drainRatePerSec: undefined }, 0);
  order.restart(0);
  expect(drain(order)).toEqual([{ lane: 'urgent', ids: [2] }, { lane: 'backlog', ids: [1] }]);
  order.rewind();
  expect(drain(order)).toEqual([{ lane: 'urgent', ids: [2] }, { lane: 'backlog', ids: [1] }]);
  b.append([reading(3)]);
  order.restart(0);
  expect(drain(order)).toEqual([{ lane: 'urgent', ids: [2] }, { lane: 'backlog', ids: [1, 3] }]);
});
