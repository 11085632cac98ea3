import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSpool } from './file-spool.ts';
import { MemorySpool } from './memory-spool.ts';
import { spoolContract } from './spool-contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-spool-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

spoolContract('MemorySpool', async (maxBytes) => new MemorySpool(maxBytes));
spoolContract('FileSpool', async (maxBytes) => FileSpool.open({ dir: await tempDir(), maxBytes, segmentBytes: 256 }));

test('FileSpool: uncommitted records survive a reopen; committed ones do not come back', async () => {
  const dir = await tempDir();
  const a = await FileSpool.open({ dir, segmentBytes: 200 });
  for (let i = 0; i < 30; i++) await a.append(Buffer.from(`r${i}`));
  const batch = await a.read(50);
  await a.commit(batch!.end);
  const committed = batch!.records.length;
  await a.close();
  const b = await FileSpool.open({ dir, segmentBytes: 200 });
  assert.equal(b.depth().records, 30 - committed);
  const rest: string[] = [];
  for (let x = await b.read(1000); x; x = await b.read(1000)) {
    rest.push(...x.records.map(String));
    await b.commit(x.end);
  }
  assert.deepEqual(rest, Array.from({ length: 30 - committed }, (_, i) => `r${i + committed}`));
  const segs = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
  assert.equal(segs.length, 1, 'drained segments are deleted');
  await b.close();
});

test('FileSpool: a torn tail (crash mid-write) is cut off at open, earlier records kept', async () => {
  const dir = await tempDir();
  const a = await FileSpool.open({ dir });
  await a.append(Buffer.from('kept-1'));
  await a.append(Buffer.from('kept-2'));
  await a.close();
  const seg = (await readdir(dir)).find((f) => f.endsWith('.seg'))!;
  await appendFile(path.join(dir, seg), Buffer.from([50, 0, 0, 0, 1, 2, 3, 4, 9, 9])); // header says 50 bytes, 2 present
  const b = await FileSpool.open({ dir });
  assert.equal(b.corruptRecords, 1);
  const batch = await b.read(1000);
  assert.deepEqual(batch?.records.map(String), ['kept-1', 'kept-2']);
  await b.append(Buffer.from('after'));
  await b.commit(batch!.end);
  assert.deepEqual((await b.read(1000))?.records.map(String), ['after']);
  await b.close();
});

test('FileSpool: concurrent appends are group-committed and all resolve', async () => {
  const dir = await tempDir();
  const s = await FileSpool.open({ dir, segmentBytes: 4096 });
  await Promise.all(Array.from({ length: 2000 }, (_, i) => s.append(Buffer.from(`x${i}`))));
  let n = 0;
  for (let x = await s.read(1 << 16); x; x = await s.read(1 << 16)) {
    n += x.records.length;
    await s.commit(x.end);
  }
  assert.equal(n, 2000);
  await s.close();
});

test('FileSpool: the bound is exact — appends made while a write+fsync is in flight count against it', async () => {
  const dir = await tempDir();
  const s = await FileSpool.open({ dir, maxBytes: 1000 });
  const record = Buffer.alloc(92, 0x61); // framed: 8 + 92 = 100 bytes
  const first = Array.from({ length: 8 }, () => s.append(record));
  // The flush scheduled by those appends starts in this check phase; its write+fsync is now in flight.
  await new Promise((r) => setImmediate(r));
  const during = await Promise.allSettled(Array.from({ length: 5 }, () => s.append(record)));
  await Promise.all(first);
  const refused = during.filter((r) => r.status === 'rejected');
  assert.equal(refused.length, 3, 'only 2 more 100-byte records fit under 1000 bytes');
  for (const r of refused) assert.equal((r as PromiseRejectedResult).reason.code, 'INGEST_ERR_SPOOL_FULL');
  assert.equal(s.depth().bytes, 1000);
  assert.ok(s.depth().bytes <= 1000);
  await s.close();
});
