/** Message sequence numbers: one counter per station, persisted across reopening. */
import { test, expect, onTestFinished } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBufferDatabase, inTransaction } from './buffer-database.ts';
import { SequenceCounter } from './sequence-counter.ts';

test('one counter per station, each continuing after a reopen', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-seq-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'buffer.db');
  let db = openBufferDatabase(file);
  let seq = new SequenceCounter(db);
  expect([seq.next(), seq.next('child-a'), seq.next(), seq.next('child-a'), seq.next('child-b')]).toEqual([1, 1, 2, 2, 1]);
  db.close();
  db = openBufferDatabase(file);
  seq = new SequenceCounter(db);
  expect([seq.next(), seq.next('child-a'), seq.next('child-b')]).toEqual([3, 3, 2]);
  db.close();
});

test('a transaction that throws is rolled back, durable or not', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-seq-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const db = openBufferDatabase(path.join(dir, 'buffer.db'));
  const seq = new SequenceCounter(db);
  for (const durable of [true, false]) {
    expect(() =>
      inTransaction(db, () => {
        seq.next('x');
        throw new Error('boom');
      }, durable),
    ).toThrow('boom');
  }
  expect(seq.next('x')).toBe(1);
  expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 }); // FULL again after a non-durable one
  db.close();
});
