import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { FileSpool } from './file-spool.ts';
import { MemorySpool } from './memory-spool.ts';
import { spoolContract } from './spool-contract.ts';
import { encodeRecordFrame, parseFrames } from './spool-frames.ts';

const execFileP = promisify(execFile);
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
  // In a group frame a record takes 4 + 119 = 123 bytes; each group frame adds an 8-byte header.
  const record = Buffer.alloc(119, 0x61);
  const first = Array.from({ length: 6 }, () => s.append(record)); // one frame: 8 + 6 × 123 = 746 bytes
  // The flush scheduled by those appends starts in this check phase; its write+fsync is now in flight.
  await new Promise((r) => setImmediate(r));
  const during = await Promise.allSettled(Array.from({ length: 5 }, () => s.append(record)));
  await Promise.all(first);
  const refused = during.filter((r) => r.status === 'rejected');
  assert.equal(refused.length, 3, 'only 2 more records fit under 1000 bytes: 746 + 8 + 2 × 123 = 1000');
  for (const r of refused) assert.equal((r as PromiseRejectedResult).reason.code, 'INGEST_ERR_SPOOL_FULL');
  assert.equal(s.depth().bytes, 1000);
  assert.ok(s.depth().bytes <= 1000);
  await s.close();
});

/** The frames of a spool folder's only segment: where each starts and how many records it holds. */
async function framesOf(dir: string): Promise<{ file: string; size: number; frames: Array<{ start: number; records: number }> }> {
  const seg = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
  assert.equal(seg.length, 1);
  const file = path.join(dir, seg[0]!);
  const buf = await readFile(file);
  const frames: Array<{ start: number; records: number }> = [];
  const parsed = parseFrames(buf, (start, records) => frames.push({ start, records }));
  assert.equal(parsed.consumed, buf.length, 'every byte is in a whole frame');
  return { file, size: buf.length, frames };
}

async function drain(s: FileSpool): Promise<string[]> {
  const out: string[] = [];
  for (let x = await s.read(1 << 20); x; x = await s.read(1 << 20)) out.push(...x.records.map(String));
  return out;
}

test('FileSpool: a group commit is one frame; a crash cut inside a group loses that whole group (none of it was acknowledged), earlier groups come back whole', async () => {
  const dir = await tempDir();
  const a = await FileSpool.open({ dir });
  await Promise.all(['a1', 'a2', 'a3'].map((r) => a.append(r)));
  await Promise.all(['b1', 'b2', 'b3', 'b4'].map((r) => a.append(Buffer.from(r))));
  await a.close();
  const { file, size, frames } = await framesOf(dir);
  assert.deepEqual(
    frames.map((f) => f.records),
    [3, 4],
    'one frame per group commit',
  );
  // Cut the second frame anywhere: its header, its first record, between records, its last byte.
  for (const cut of [frames[1]!.start + 3, frames[1]!.start + 10, frames[1]!.start + 8 + 6 + 3, size - 1]) {
    const copy = await tempDir();
    await writeFile(path.join(copy, path.basename(file)), (await readFile(file)).subarray(0, cut));
    const b = await FileSpool.open({ dir: copy });
    assert.equal(b.corruptRecords, 1, `cut at ${cut}`);
    assert.deepEqual(b.depth().records, 3);
    assert.deepEqual(await drain(b), ['a1', 'a2', 'a3'], `cut at ${cut}`);
    // Appends go on after the cut, and come back after the whole records.
    await b.append('c1');
    await b.close();
    const c = await FileSpool.open({ dir: copy });
    assert.equal(c.corruptRecords, 0);
    assert.deepEqual(await drain(c), ['a1', 'a2', 'a3', 'c1']);
    await c.close();
  }
  // A flipped byte inside the second group fails its CRC: the group goes, the first stays.
  const damaged = await readFile(file);
  damaged[frames[1]!.start + 8 + 4] ^= 0xff;
  const copy = await tempDir();
  await writeFile(path.join(copy, path.basename(file)), damaged);
  const d = await FileSpool.open({ dir: copy });
  assert.equal(d.corruptRecords, 1);
  assert.deepEqual(await drain(d), ['a1', 'a2', 'a3']);
  await d.close();
});

test('FileSpool: segments written one frame per record (before group frames) are read on, records counted, then groups appended after them', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, '000000000000.seg'), Buffer.concat(['old-1', 'old-2', 'old-3'].map((r) => encodeRecordFrame(Buffer.from(r)))));
  const a = await FileSpool.open({ dir });
  assert.equal(a.corruptRecords, 0);
  assert.equal(a.depth().records, 3);
  const first = await a.read(10); // one old frame (the read size asks for little)
  assert.deepEqual(first?.records.map(String), ['old-1']);
  await a.commit(first!.end);
  await Promise.all(['new-1', 'new-2'].map((r) => a.append(r)));
  assert.equal(a.depth().records, 4);
  await a.close();
  const b = await FileSpool.open({ dir });
  assert.equal(b.depth().records, 4, 'records counted from the committed position, across both framings');
  assert.deepEqual(await drain(b), ['old-2', 'old-3', 'new-1', 'new-2']);
  await b.close();
});

test('FileSpool: a committed position inside the file counts only the records of the frames after it at reopen', async () => {
  const dir = await tempDir();
  const a = await FileSpool.open({ dir });
  await Promise.all(['g1-1', 'g1-2'].map((r) => a.append(r)));
  await Promise.all(['g2-1', 'g2-2', 'g2-3'].map((r) => a.append(r)));
  const batch = await a.read(1); // whole frames only: the first group
  assert.deepEqual(batch?.records.map(String), ['g1-1', 'g1-2']);
  await a.commit(batch!.end);
  await a.close();
  const b = await FileSpool.open({ dir });
  assert.equal(b.depth().records, 3);
  assert.deepEqual(await drain(b), ['g2-1', 'g2-2', 'g2-3']);
  await b.close();
});

test('FileSpool: appendWith calls back after the fsync, once per append, in append order; a refusal calls back with the error', async () => {
  const dir = await tempDir();
  const s = await FileSpool.open({ dir, maxBytes: 200 });
  const calls: string[] = [];
  let sync = true;
  for (const r of ['x1', 'x2', 'x3']) s.appendWith(r, (err) => calls.push(`${r}:${err ? 'err' : 'ok'}:${sync ? 'sync' : 'async'}`));
  s.appendWith(Buffer.alloc(300), (err) => calls.push(`big:${(err as { code?: string } | undefined)?.code}:${sync ? 'sync' : 'async'}`));
  sync = false;
  await new Promise<void>((resolve) => s.appendWith('x4', () => resolve()));
  assert.deepEqual(calls, ['big:INGEST_ERR_SPOOL_FULL:async', 'x1:ok:async', 'x2:ok:async', 'x3:ok:async']);
  assert.deepEqual(await drain(s), ['x1', 'x2', 'x3', 'x4']);
  await s.close();
  const closed: Array<string | undefined> = [];
  await new Promise<void>((resolve) =>
    s.appendWith('late', (err) => {
      closed.push((err as { code?: string } | undefined)?.code);
      resolve();
    }),
  );
  assert.deepEqual(closed, ['INGEST_ERR_SPOOL_CLOSED']);
});

test('FileSpool: a write the disk takes only part of (file size limit) is refused, not acknowledged; every acknowledged record is read back after a reopen, none of the refused', async () => {
  const dir = await tempDir();
  // A child process with a 4 KiB file size limit (ulimit -f; Node ignores SIGXFSZ, so a write past
  // it is short, the next one fails with EFBIG) appends ~100-byte records, some in the same turn
  // as writes still in flight, and reports which were acknowledged.
  const child = `
    const { FileSpool } = await import(process.env.SPOOL_MODULE);
    const s = await FileSpool.open({ dir: process.env.SPOOL_DIR });
    const out = [];
    const all = [];
    for (let turn = 0; turn < 30; turn++) {
      for (let j = 0; j < 3; j++) {
        const i = turn * 3 + j;
        const r = 'r' + String(i).padStart(3, '0') + 'x'.repeat(90);
        all.push(s.append(r).then(() => out.push([r, 'ok']), (e) => out.push([r, e.code ?? e.message])));
      }
      await new Promise((res) => setImmediate(res));
    }
    await Promise.all(all);
    await s.close();
    process.stdout.write(JSON.stringify(out));
  `;
  const { stdout } = await execFileP('bash', ['-c', 'ulimit -f 4 && exec "$NODE" --input-type=module -e "$CHILD"'], {
    env: { ...process.env, NODE: process.execPath, CHILD: child, SPOOL_MODULE: new URL('./file-spool.ts', import.meta.url).href, SPOOL_DIR: dir },
  });
  const results = JSON.parse(stdout) as Array<[string, string]>;
  const acked = results.filter(([, r]) => r === 'ok').map(([rec]) => rec);
  assert.ok(acked.length > 0 && acked.length < results.length, `some acknowledged, some refused: ${acked.length} of ${results.length}`);
  const reopened = await FileSpool.open({ dir });
  assert.deepEqual((await drain(reopened)).sort(), acked.sort(), 'exactly the acknowledged records');
  await reopened.close();
});

test('FileSpool: appends of every turn go out while earlier writes are still in flight; acknowledgements keep append order across writes and new segments, and all come back after a reopen', async () => {
  const dir = await tempDir();
  const s = await FileSpool.open({ dir, segmentBytes: 2048 });
  const acked: number[] = [];
  const all: Array<Promise<void>> = [];
  for (let turn = 0; turn < 60; turn++) {
    for (let j = 0; j < 4; j++) {
      const i = turn * 4 + j;
      all.push(s.append(`rec-${i}-${'y'.repeat(i % 50)}`).then(() => void acked.push(i)));
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  assert.deepEqual(acked, [...acked].sort((a, b) => a - b), 'acknowledged in append order');
  assert.ok((await readdir(dir)).filter((f) => f.endsWith('.seg')).length > 1, 'more than one segment');
  await s.close();
  const reopened = await FileSpool.open({ dir, segmentBytes: 2048 });
  const back = await drain(reopened);
  assert.deepEqual(back.map((r) => Number(r.split('-')[1])), acked);
  await reopened.close();
});
