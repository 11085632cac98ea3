import { test } from 'vitest';
import assert from 'node:assert/strict';
import { SequenceTracker, continued, shift } from './sequence-tracker.ts';

test('sequence: in-order, gap, late fill, duplicate, reset', () => {
  const t = new SequenceTracker();
  assert.equal(t.observe('d', 1), 'first');
  assert.equal(t.observe('d', 2), 'next');
  assert.equal(t.observe('d', 6), 'gap'); // 3,4,5 missing
  assert.deepEqual([t.stats('d')!.gaps, t.stats('d')!.missing], [1, 3]);
  assert.equal(t.observe('d', 4), 'late');
  assert.equal(t.stats('d')!.missing, 2);
  assert.equal(t.observe('d', 4), 'duplicate');
  assert.equal(t.observe('d', 6), 'duplicate');
  assert.equal(t.observe('d', 7), 'next');
  assert.equal(t.observe('d', 0), 'late'); // within the window and never seen
  assert.equal(t.observe('d', 5000), 'gap');
  assert.equal(t.observe('d', 3), 'reset');
  const s = t.stats('d')!;
  assert.equal(s.duplicates, 2);
  assert.equal(s.resets, 1);
  assert.equal(s.received, 10);
});

test('sequence: restored stats keep counting; dirty set lists changed devices once', () => {
  const t = new SequenceTracker(new Map([['a', { lastSeq: 10, received: 10, duplicates: 0, gaps: 0, missing: 0, late: 0, resets: 0, lastAt: '' }]]));
  assert.equal(t.observe('a', 11), 'next');
  assert.equal(t.observe('a', 10), 'duplicate');
  t.observe('b', 1);
  assert.deepEqual([...t.takeDirty().keys()].sort(), ['a', 'b']);
  assert.equal(t.takeDirty().size, 0);
});

test('shift (byte-wise) moves every bit exactly as the bit-by-bit version', () => {
  const reference = (bits: Uint8Array, n: number): void => {
    const total = bits.length * 8;
    if (n >= total) return void bits.fill(0);
    const get = (i: number): boolean => (bits[i >> 3]! & (1 << (i & 7))) !== 0;
    for (let i = total - 1; i >= 0; i--) {
      const v = i - n >= 0 && get(i - n);
      if (v) bits[i >> 3]! |= 1 << (i & 7);
      else bits[i >> 3]! &= ~(1 << (i & 7));
    }
  };
  let s = 7;
  const r = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  for (let k = 0; k < 3000; k++) {
    const a = new Uint8Array(128);
    for (let i = 0; i < a.length; i++) a[i] = Math.floor(r() * 256);
    const b = a.slice();
    const n = [1, 2, 7, 8, 9, 15, 16, 17, 100, 1023, 1024, 5000][k % 12]! + (k % 5 === 0 ? Math.floor(r() * 64) : 0);
    shift(a, n);
    reference(b, n);
    assert.deepEqual(a, b, `n = ${n}`);
  }
});

test('sequence: a device that moved here carries on from what the other node counted — next, gap, or a resend it had', () => {
  const before = { lastSeq: 5, received: 5, duplicates: 0, gaps: 0, missing: 0, late: 0, rejected: 0, resets: 0, lastAt: '2026-01-01T00:00:00.000Z' };
  const next = new SequenceTracker();
  next.observe('d', 6);
  next.observe('d', 7);
  next.setPrior('d', before);
  assert.deepEqual({ ...next.stats('d')!, lastAt: '' }, { ...before, lastSeq: 7, received: 7, lastAt: '' });
  assert.equal(next.observe('d', 6), 'duplicate', 'the window goes on from here');
  assert.deepEqual({ ...next.stayOf('d')!.stats, lastAt: '' }, { ...before, lastSeq: 7, received: 3, duplicates: 1, lastAt: '' }, 'its own stay is saved apart');
  assert.equal(next.stayOf('d')!.firstSeq, 6);

  const gap = new SequenceTracker();
  gap.observe('d', 9);
  gap.setPrior('d', before);
  assert.deepEqual([gap.stats('d')!.lastSeq, gap.stats('d')!.gaps, gap.stats('d')!.missing, gap.stats('d')!.received], [9, 1, 3, 6]);

  const resend = new SequenceTracker();
  resend.observe('d', 5);
  resend.setPrior('d', before);
  assert.deepEqual([resend.stats('d')!.lastSeq, resend.stats('d')!.duplicates, resend.stats('d')!.received, resend.stats('d')!.gaps], [5, 1, 6, 0]);

  // What came before is read again as other nodes save it: only the latest counts.
  resend.setPrior('d', { ...before, lastSeq: 4, received: 4 });
  assert.deepEqual([resend.stats('d')!.lastSeq, resend.stats('d')!.duplicates, resend.stats('d')!.received], [5, 0, 5]);

  const quiet = new SequenceTracker();
  quiet.setPrior('d', before);
  assert.equal(quiet.stats('d')!.received, 5);
  assert.equal(quiet.takeDirty().size, 0, 'nothing of its own to save');
  assert.equal(quiet.takeDirtyStays().size, 0);
  assert.equal(quiet.observe('d', 6), 'first', 'a stay of its own begins');
  assert.equal(quiet.stats('d')!.received, 6, '… continuing what was shown');
});

test('sequence: a stay ends when the device leaves; the next message begins a new one', () => {
  const t = new SequenceTracker();
  t.observe('d', 1, new Date(1000));
  t.observe('d', 2, new Date(2000));
  const first = t.endStay('d')!;
  assert.deepEqual([first.firstSeq, first.since, first.stats.received], [1, 1000, 2]);
  assert.equal(t.endStay('d'), undefined, 'ended once');
  assert.equal(t.stats('d')!.received, 2, 'still shown');
  assert.equal(t.takeDirtyStays().size, 0);
  t.observe('d', 3, new Date(5000));
  const second = t.takeDirtyStays().get('d')!;
  assert.deepEqual([second.firstSeq, second.since, second.stats.received], [3, 5000, 1]);
  assert.notEqual(second.stay, first.stay);
  assert.equal(t.stats('d')!.received, 3);
});

test('continued: the step between two counts is a next, a gap, a resend or a restart', () => {
  const s = (lastSeq: number, received: number) => ({ lastSeq, received, duplicates: 0, gaps: 0, missing: 0, late: 0, rejected: 0, resets: 0, lastAt: '' });
  assert.deepEqual(continued(s(5, 5), s(9, 4), 6), { ...s(9, 9) });
  assert.deepEqual(continued(s(5, 5), s(9, 2), 8), { ...s(9, 7), gaps: 1, missing: 2 });
  assert.deepEqual(continued(s(5, 5), s(6, 2), 5), { ...s(6, 7), duplicates: 1 });
  assert.deepEqual(continued(s(5000, 5000), s(2, 2), 1), { ...s(2, 5002), resets: 1 });
});
