/** RetryingAppender: side writes wait out a full spool, in order, within their bound. */
import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RetryingAppender } from './retrying-appender.ts';

const logger = pino({ level: 'silent' });

function fakeSpool(): { full: boolean; records: string[]; append(r: Buffer): Promise<void> } {
  const s = {
    full: false,
    records: [] as string[],
    async append(r: Buffer) {
      if (s.full) throw new Error('INGEST_ERR_SPOOL_FULL');
      s.records.push(r.toString());
    },
  };
  return s;
}
const settle = () => new Promise((r) => setTimeout(r, 30));

test('a full spool keeps side writes queued; they go in order once it takes records again', async () => {
  const spool = fakeSpool();
  const w = new RetryingAppender(spool, logger, { retryIntervalMs: 10 });
  spool.full = true;
  w.write('a 1');
  w.write('b 2');
  await settle();
  assert.equal(w.queued, 2);
  spool.full = false;
  w.write('c 3');
  await expect.poll(() => w.queued === 0, { timeout: 5000 }).toBe(true);
  assert.equal(w.queued, 0);
  assert.deepEqual(spool.records.join('\n').split('\n'), ['a 1', 'b 2', 'c 3']);
  await w.close();
});

test('over its bound the oldest are dropped, and counted', async () => {
  const spool = fakeSpool();
  spool.full = true;
  const w = new RetryingAppender(spool, logger, { retryIntervalMs: 10, maxQueuedBytes: 10 });
  for (const l of ['one 1', 'two 2', 'three 3']) w.write(l);
  assert.equal(w.dropped, 2);
  spool.full = false;
  await expect.poll(() => w.queued === 0, { timeout: 5000 }).toBe(true);
  assert.deepEqual(spool.records, ['three 3']);
  await w.close();
});
