/** The contract every Spool implementation passes (STYLE §5): run by spool.test.ts against each. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import type { Spool } from './spool.ts';

export function spoolContract(name: string, make: (maxBytes: number) => Promise<Spool>): void {
  const rec = (i: number) => Buffer.from(`record-${i}`);

  test(`${name}: records come back in order, each once, after commit they are gone`, async () => {
    const spool = await make(1 << 20);
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append(rec(i))));
    assert.equal(spool.depth().records, 100);
    const seen: string[] = [];
    for (let batch = await spool.read(200); batch; batch = await spool.read(200)) {
      seen.push(...batch.records.map(String));
      await spool.commit(batch.end);
    }
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `record-${i}`));
    assert.deepEqual(spool.depth(), { records: 0, bytes: 0 });
    await spool.close();
  });

  test(`${name}: a text record is stored as its UTF-8 bytes`, async () => {
    const spool = await make(1 << 20);
    const text = 'air,station=站\\ 1 pm25=35.2 1795000000000\nair,station=x co=1 1';
    await spool.append(text);
    await spool.append(Buffer.from(text));
    assert.deepEqual(spool.depth(), { records: 2, bytes: spool.depth().bytes });
    const batch = await spool.read(1 << 20);
    assert.deepEqual(batch?.records.map((r) => r.toString('utf8')), [text, text]);
    assert.deepEqual(batch?.records[0], Buffer.from(text));
    await spool.close();
  });

  test(`${name}: rewind re-reads everything not committed`, async () => {
    const spool = await make(1 << 20);
    for (let i = 0; i < 5; i++) await spool.append(rec(i));
    const first = await spool.read(1 << 20);
    assert.ok(first && first.records.length > 0);
    spool.rewind();
    const again = await spool.read(1 << 20);
    assert.deepEqual(again?.records.map(String), first?.records.map(String));
    await spool.close();
  });

  test(`${name}: over the bound, appends are refused with INGEST_ERR_SPOOL_FULL and nothing accepted is lost`, async () => {
    const spool = await make(400);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 50; i++) {
      try {
        await spool.append(rec(i));
        accepted++;
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'INGEST_ERR_SPOOL_FULL');
        refused++;
      }
    }
    assert.ok(accepted > 0 && refused > 0);
    let drained = 0;
    for (let batch = await spool.read(1 << 20); batch; batch = await spool.read(1 << 20)) {
      drained += batch.records.length;
      await spool.commit(batch.end);
    }
    assert.equal(drained, accepted);
    await spool.append(rec(999)); // room again after the drain
    await spool.close();
  });

  test(`${name}: waitForData wakes the reader on append`, async () => {
    const spool = await make(1 << 20);
    const woke = spool.waitForData();
    await spool.append(rec(1));
    await woke;
    assert.equal((await spool.read(100))?.records.length, 1);
    await spool.close();
  });
}
