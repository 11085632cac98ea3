import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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
  assert.equal(b.seq.next(), 1);
  assert.equal(b.seq.next(), 2);
  b.ack([ids[0]!]);
  b.close();
  b = new ReadingBuffer({ file });
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => JSON.parse(r.body).values.pm25), [2, 3]);
  assert.equal(b.stats().depth, 2);
  assert.equal(b.seq.next(), 3, 'seq persisted across the restart');
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

test('child stations: each row keeps its station; every station has its own persistent seq', withDir((dir) => {
  const file = path.join(dir, 'b.db');
  let b = new ReadingBuffer({ file });
  b.append([
    { priority: 'routine', kind: 'readings', body: reading(1) },
    { priority: 'routine', kind: 'readings', body: reading(2), station: 'child-a' },
    { priority: 'routine', kind: 'readings', body: reading(3), station: 'child-b' },
  ]);
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => r.station), [undefined, 'child-a', 'child-b']);
  assert.deepEqual([b.seq.next(), b.seq.next('child-a'), b.seq.next('child-a'), b.seq.next('child-b'), b.seq.next()], [1, 1, 2, 1, 2], 'one counter per station');
  b.close();
  b = new ReadingBuffer({ file });
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => r.station), [undefined, 'child-a', 'child-b'], 'stations survive reopening');
  assert.deepEqual([b.hasRowsOf('child-a'), b.hasRowsOf('child-c')], [true, false]);
  b.ack([b.peek('routine', 0, 10).find((r) => r.station === 'child-a')!.id]);
  assert.equal(b.hasRowsOf('child-a'), false);
  assert.deepEqual([b.seq.next('child-a'), b.seq.next('child-b'), b.seq.next()], [3, 2, 3], 'every counter persisted across the restart');
  b.close();
}));

test('a buffer written before child stations existed opens with every row as the agent\'s own, its seq continuing', withDir((dir) => {
  const file = path.join(dir, 'old.db');
  // The schema and rows as the previous version left them (no station column).
  const old = new DatabaseSync(file);
  old.exec(`
    CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, priority INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL);
    CREATE INDEX items_by_priority ON items (priority, id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('seq', 41), ('dropped', 0);
  `);
  old.prepare('INSERT INTO items (priority, kind, body, bytes) VALUES (1, ?, ?, 60)').run('readings', reading(7));
  old.close();
  const b = new ReadingBuffer({ file });
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => ({ station: r.station, pm25: JSON.parse(r.body).values.pm25 })), [{ station: undefined, pm25: 7 }]);
  assert.equal(b.seq.next(), 42, 'the own station\'s seq continues');
  b.append([{ priority: 'routine', kind: 'readings', body: reading(8), station: 'child-a' }]);
  assert.deepEqual(b.peek('routine', 0, 10).map((r) => r.station), [undefined, 'child-a']);
  b.close();
}));

for (const [how, raise] of [
  ['the statement fails', 'ABORT'],
  ['SQLite rolls the whole transaction back itself, as on SQLITE_FULL', 'ROLLBACK'],
] as const) test(`a failed append (disk full: ${how}) changes nothing: totals stay true and the next append drops no row that fits`, withDir((dir) => {
  const file = path.join(dir, 'b.db');
  const b = new ReadingBuffer({ file, quotaBytes: 100_000, rowOverheadBytes: 0 });
  for (let i = 0; i < 50; i++) b.append([{ priority: 'routine', kind: 'readings', body: reading(i) }]);
  const before = b.stats();
  // The disk refusing the last row of a batch, as SQLITE_FULL would, from inside SQLite.
  const other = new DatabaseSync(file);
  other.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON items WHEN NEW.body = 'disk full' BEGIN SELECT RAISE(${raise}, 'database or disk is full'); END;`);
  other.close();
  const big = 'x'.repeat(40_000);
  for (let k = 0; k < 3; k++) {
    assert.throws(() => b.append([{ priority: 'routine', kind: 'readings', body: big }, { priority: 'routine', kind: 'readings', body: 'disk full' }]), /disk is full/);
  }
  assert.deepEqual(b.stats(), before, 'the rolled-back rows left no trace in the totals');
  b.append([{ priority: 'routine', kind: 'readings', body: reading(50) }]);
  assert.equal(b.stats().dropped, 0, 'nothing dropped: 51 small rows are far under the quota');
  assert.equal(b.peek('routine', 0, 1000).length, 51);
  b.close();
}));
