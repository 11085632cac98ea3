import { test } from 'vitest';
import assert from 'node:assert/strict';
import { SequenceTracker, continued } from './sequence-tracker.ts';

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

test('sequence: verdicts and counts match a plain model of every number received, over random sequences', () => {
  // The model: the set of numbers received since the last reset; 1024 back is the window.
  const model = (): ((seq: number) => string) => {
    let last: number | undefined;
    let got = new Set<number>();
    return (seq) => {
      if (last === undefined) return (last = seq), got.add(seq), 'first';
      if (seq > last) {
        const verdict = seq - last === 1 ? 'next' : 'gap';
        last = seq;
        got.add(seq);
        return verdict;
      }
      if (last - seq < 1024) return got.has(seq) ? 'duplicate' : (got.add(seq), 'late');
      last = seq;
      got = new Set([seq]);
      return 'reset';
    };
  };
  let s = 11;
  const r = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  for (const start of [0, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER - 20_000]) {
    const t = new SequenceTracker();
    const m = model();
    let seq = start;
    const verdicts: Record<string, number> = {};
    for (let k = 0; k < 20_000; k++) {
      const x = r();
      // Mostly in order; then resends, late fills, small and large gaps, and now and then a restart.
      const next = x < 0.7 ? seq + 1 : x < 0.8 ? seq - Math.floor(r() * 40) : x < 0.9 ? seq + 2 + Math.floor(r() * 30) : x < 0.95 ? seq - Math.floor(r() * 1100) : x < 0.995 ? seq + 900 + Math.floor(r() * 300) : start + Math.floor(r() * 10);
      const n = Math.min(Math.max(next, 0), Number.MAX_SAFE_INTEGER);
      const expected = m(n);
      assert.equal(t.observe('d', n), expected, `message ${k}: seq ${n}`);
      verdicts[expected] = (verdicts[expected] ?? 0) + 1;
      seq = Math.max(seq, n);
      if (expected === 'reset') seq = n;
    }
    for (const v of ['first', 'next', 'gap', 'duplicate', 'late', 'reset']) assert.ok((verdicts[v] ?? 0) > 0, `from ${start}: the sequence had a ${v}`);
    const st = t.stats('d')!;
    assert.equal(st.received, 20_000);
    assert.equal(st.duplicates, verdicts.duplicate);
    assert.equal(st.late, verdicts.late);
    assert.equal(st.resets, verdicts.reset);
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
