import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReadingBuffer } from './reading-buffer.ts';

const withDir = (fn: (dir: string) => void | Promise<void>) => async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-buffer-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const reading = (i: number): string => JSON.stringify({ ts: 1_700_000_000_000 + i, values: { pm25: i } });

test('rows survive reopening; only acknowledged rows leave; seq keeps increasing', withDir((dir) => {
  const file = path.join(dir, 'b.db');
  let b = new ReadingBuffer({ file });
  const ids = b.append([1, 2, 3].map((i) => ({ priority: 'routine', kind: 'readings', body: reading(i) })));
  assert.equal(b.nextSeq(), 1);
  assert.equal(b.nextSeq(), 2);
  b.ack([ids[0]!]);
  b.close();
  b = new ReadingBuffer({ file });
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => JSON.parse(r.body).values.pm25), [2, 3]);
  assert.equal(b.stats().depth, 2);
  assert.equal(b.nextSeq(), 3, 'seq persisted across the restart');
  b.close();
}));

test('urgent rows are kept apart from routine ones, each in insertion order', withDir((dir) => {
  const b = new ReadingBuffer({ file: path.join(dir, 'b.db') });
  b.append([{ priority: 'routine', kind: 'readings', body: reading(1) }]);
  b.append([{ priority: 'urgent', kind: 'events', body: '{"type":"a"}' }]);
  b.append([{ priority: 'routine', kind: 'readings', body: reading(2) }]);
  b.append([{ priority: 'urgent', kind: 'events', body: '{"type":"b"}' }]);
  assert.deepEqual(b.peek('urgent', 0, 10).map((r) => JSON.parse(r.body).type), ['a', 'b']);
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => JSON.parse(r.body).values.pm25), [1, 2]);
  const first = b.peek('routine', 0, 1)[0]!;
  assert.deepEqual(b.peek('routine', first.id, 10).map((r) => JSON.parse(r.body).values.pm25), [2], 'cursor skips what is in flight');
  assert.deepEqual(b.peek('routine', 0, 10, first.id).length, 1, 'upToId bounds the backlog');
  b.close();
}));

test('over the quota the OLDEST routine rows are dropped first, counted persistently; urgent rows are kept', withDir((dir) => {
  const file = path.join(dir, 'b.db');
  let b = new ReadingBuffer({ file, quotaBytes: 2000, rowOverheadBytes: 0 });
  b.append([{ priority: 'urgent', kind: 'events', body: JSON.stringify({ type: 'alarm', pad: 'x'.repeat(100) }) }]);
  for (let i = 0; i < 100; i++) b.append([{ priority: 'routine', kind: 'readings', body: reading(i) }]);
  const s = b.stats();
  assert.ok(s.bytes <= 2000, `within quota (${s.bytes})`);
  assert.ok(s.dropped > 0);
  assert.equal(s.urgent, 1, 'the urgent event survived');
  const left = b.peek('routine', 0, 1000).map((r) => JSON.parse(r.body).values.pm25 as number);
  assert.equal(left.length + s.dropped, 100, 'every reading is either kept or counted as dropped');
  assert.deepEqual(left, Array.from({ length: left.length }, (_, k) => 100 - left.length + k), 'the newest are kept, in order');
  b.close();
  b = new ReadingBuffer({ file, quotaBytes: 2000, rowOverheadBytes: 0 });
  assert.equal(b.stats().dropped, s.dropped, 'drop count survives a restart');
  b.setQuota(1024);
  assert.ok(b.stats().bytes <= 1024);
  b.close();
}));

test('rows in a message awaiting PUBACK are not dropped for the quota (they may already be delivered); others are', withDir((dir) => {
  const b = new ReadingBuffer({ file: path.join(dir, 'b.db'), quotaBytes: 1024, rowOverheadBytes: 0 });
  const ids = b.append([0, 1].map((i) => ({ priority: 'routine', kind: 'readings', body: reading(i) })));
  b.markInflight(b.peek('routine', 0, 2));
  for (let i = 2; i < 40; i++) b.append([{ priority: 'routine', kind: 'readings', body: reading(i) }]);
  const left = b.peek('routine', 0, 100).map((r) => JSON.parse(r.body).values.pm25 as number);
  assert.deepEqual(left.slice(0, 2), [0, 1], 'in-flight rows kept');
  assert.equal(left[2], 40 - (left.length - 2), 'then the newest');
  assert.equal(left.length + b.stats().dropped, 40);
  b.ack(ids);
  b.clearInflight();
  assert.equal(b.stats().depth, left.length - 2);
  b.close();
}));
