/**
 * No payload crashes the platform: random bytes, random JSON shapes, deep nesting, huge
 * numbers and CBOR oddities go to the dead-letter store, and the device's valid readings that
 * follow are all stored.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodePayload } from '@shanshui/models';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { seededRandom as rng } from '@shanshui/models/testing';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ maxMessagesPerSec: 10_000, maxMessagesBurst: 10_000 });
});
afterAll(async () => {
  await tp?.close();
});

function randomJson(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 9);
  if (depth > 4) return r();
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [1e308 * 10, -0, 2 ** 64, Number.MAX_SAFE_INTEGER + 2][Math.floor(r() * 4)];
    case 3:
      return 'x'.repeat(Math.floor(r() * 100)) + '\u0000\ud800';
    case 4:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
    case 5:
      return { seq: randomJson(r, depth + 1), ts: randomJson(r, depth + 1), values: randomJson(r, depth + 1) };
    case 6:
      return { seq: Math.floor(r() * 100), readings: [{ ts: Date.now(), values: { pm25: randomJson(r, depth + 1) } }] };
    case 7:
      return { ['__proto__']: { polluted: true }, constructor: { prototype: { x: 1 } }, seq: 1, ts: Date.now(), values: { pm25: 1 } };
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, (_, i) => [`k${i}`, randomJson(r, depth + 1)]));
  }
}

test('fuzz: 600 hostile payloads, then valid readings — the platform stays up and stores every valid one', async () => {
  const cred = await tp.register({ id: 'air-fuzz' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-fuzz/up/readings';
  const r = rng(20261122);
  const payloads: Buffer[] = [];
  for (let i = 0; i < 200; i++) payloads.push(Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))));
  for (let i = 0; i < 200; i++) payloads.push(Buffer.from(JSON.stringify(randomJson(r)) ?? 'null'));
  for (let i = 0; i < 150; i++) payloads.push(encodePayload(randomJson(r), 'cbor'));
  payloads.push(Buffer.from('['.repeat(100_000)));
  payloads.push(Buffer.from(`{"seq":1,"ts":1,"values":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`));
  payloads.push(Buffer.from([0xd9, 0xd9, 0xf7, 0xbf, 0x61, 0x61])); // self-described CBOR, unterminated map
  payloads.push(Buffer.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])); // CBOR array claiming 2^64 items
  payloads.push(Buffer.alloc(0));
  for (const p of payloads) await client.publishAsync(topic, p, { qos: 1 });

  const ts0 = Date.now() - 3_600_000; // an hour back: no fuzz payload carries such a timestamp
  for (let seq = 1; seq <= 20; seq++) await client.publishAsync(topic, JSON.stringify({ seq: 10_000 + seq, ts: ts0 + seq, values: { pm25: seq } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT count(pm25) FROM air WHERE station='air-fuzz' AND time >= ${ts0}ms AND time <= ${ts0 + 20}ms`))[0]?.['count'] === 20, 'the 20 valid readings');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
  const health = await tp.api('GET', '/healthz');
  assert.equal(health.status, 200);
  const dead = await tp.api('GET', '/api/v1/dead-letters?device=air-fuzz&limit=1000');
  assert.ok(dead.body.items.length > 500, `most hostile payloads are dead letters (${dead.body.items.length})`);
  for (const d of dead.body.items) assert.match(d.code, /^INGEST_ERR_/);
});

test('secrets: the state database keeps only a keyed hash, never the password', async () => {
  const cred = await tp.register({ id: 'air-secret-check' });
  const db = readFileSync(path.join(tp.dataDir, 'state.db'));
  let wal = Buffer.alloc(0);
  try {
    wal = readFileSync(path.join(tp.dataDir, 'state.db-wal'));
  } catch {
    // no WAL yet
  }
  const all = Buffer.concat([db, wal]);
  assert.equal(all.includes(Buffer.from(cred.password)), false);
  assert.ok(all.includes(Buffer.from('hmac-sha256$')));
});
