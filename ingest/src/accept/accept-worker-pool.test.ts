/**
 * The accept worker pool against the inline path: the same results for the same messages (real
 * worker threads running acceptReadings), a station's results in the order handed in, station
 * and profile changes seen from the next message on, and nothing lost when a worker dies.
 */
import { afterEach, expect, test } from 'vitest';
import { BUILTIN_PROFILES, encodePayload, resolveProfile } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { createLogger } from '../logger.ts';
import { acceptReadings } from './accept-readings.ts';
import type { AcceptContext, AcceptedMessage } from './accept-readings.ts';
import { AcceptWorkerPool } from './accept-worker-pool.ts';
import type { MetricsAgainst } from './accept-worker-protocol.ts';

const logger = createLogger('silent');
const pools: AcceptWorkerPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

const base = { name: 'S', lat: 23.1, lon: 113.3, region: '440106', department: 'eco-env', createdAt: '2026-12-06T00:00:00.000Z' };
const flueGas = resolveProfile(BUILTIN_PROFILES.get('flue-gas-cems')!, (id) => BUILTIN_PROFILES.get(id)).metrics;

function fleet(): Map<string, Station> {
  const stations = new Map<string, Station>();
  for (let i = 0; i < 12; i++) stations.set(`air-${i}`, { ...base, id: `air-${i}`, domain: 'air' });
  stations.set('water-1', { ...base, id: 'water-1', domain: 'water', department: 'water' });
  stations.set('stack-1', { ...base, id: 'stack-1', domain: 'pollution_source', profile: 'flue-gas-cems', attributes: { o2Reference: 6 } });
  return stations;
}

function contextOf(stations: Map<string, Station>): AcceptContext & { metricsFor: (s: Station) => MetricsAgainst } {
  return {
    station: (id) => stations.get(id),
    metricsFor: (s) => (s.profile === 'flue-gas-cems' ? flueGas : s.domain),
    nowMs: () => Date.now(),
    maxFutureSkewMs: 300_000,
    maxAgeMs: 365 * 86_400_000,
  };
}

function poolOf(ctx: ReturnType<typeof contextOf>, size: number): AcceptWorkerPool {
  const pool = new AcceptWorkerPool({ ...ctx, size, logger });
  pools.push(pool);
  return pool;
}

const topicOf = (id: string): string => `shanshui/v1/${id}/up/readings`;
const now = Date.now() - 60_000;

/** Good and bad messages of every kind acceptReadings knows. */
function mixedMessages(): Array<[string, Buffer]> {
  return [
    ['air-1', Buffer.from(JSON.stringify({ seq: 1, ts: now, values: { pm25: 35.5, pm10: 60 } }))],
    ['air-2', encodePayload({ seq: 7, readings: [0, 1, 2].map((i) => ({ ts: now + i * 1000, values: { pm25: 10 + i, o3: { v: 80, q: 'M' } } })) }, 'cbor')],
    ['water-1', Buffer.from(JSON.stringify({ seq: 2, ts: now, values: { ph: 7.1, nh3n: 0.4 } }))],
    ['stack-1', Buffer.from(JSON.stringify({ seq: 3, ts: now, values: { o2: 11, so2: 30, nox: 40 } }))],
    ['air-3', Buffer.from([0xff, 0xfe, 0x00])],
    ['air-3', Buffer.from('{"seq": 2, "ts": 1')],
    ['air-4', Buffer.from(JSON.stringify({ seq: 3, ts: now, values: { pm25: 'high' } }))],
    ['air-5', Buffer.from(JSON.stringify({ seq: 4, ts: now, values: { ph: 7, pm25: 3 } }))],
    ['air-6', Buffer.from(JSON.stringify({ seq: 5, ts: now + 86_400_000, values: { pm25: 7 } }))],
    ['air-7', Buffer.from(JSON.stringify({ seq: 6, ts: now, values: { pm25: -40 } }))],
    ['nobody', Buffer.from(JSON.stringify({ seq: 1, ts: now, values: { pm25: 1 } }))],
  ];
}

test('workers give exactly the inline results: lines, readings, seq, implausible, dead letters with the raw payload', async () => {
  const ctx = contextOf(fleet());
  const pool = poolOf(ctx, 2);
  const messages = mixedMessages();
  const got = await Promise.all(messages.map(([id, payload]) => pool.accept(id, topicOf(id), payload)));
  const want = messages.map(([id, payload]) => acceptReadings(ctx, id, topicOf(id), payload));
  expect(got).toEqual(want);
  // Dead letters name the topic and carry the very payload handed in.
  expect(got[4]!.deadLetters[0]!.payload).toBe(messages[4]![1]);
  expect(got[10]!.deadLetters[0]!.code).toBe('INGEST_ERR_UNKNOWN_DEVICE');
  expect(got[3]!.lines).toContain('so2_zs=');
  expect(pool.stats.messages).toBe(messages.length);
});

test("a station's results come back in the order its messages were handed in, across batches", async () => {
  const ctx = contextOf(fleet());
  const pool = poolOf(ctx, 3);
  const order = new Map<string, number[]>();
  const all: Array<Promise<void>> = [];
  for (let round = 0; round < 20; round++) {
    for (let seq = round * 50; seq < round * 50 + 50; seq++) {
      const id = `air-${seq % 12}`;
      const payload = Buffer.from(JSON.stringify({ seq, ts: now + seq, values: { pm25: seq % 500 } }));
      all.push(
        pool.accept(id, topicOf(id), payload).then((r) => {
          const list = order.get(id) ?? [];
          list.push(r.seq!);
          order.set(id, list);
        }),
      );
    }
    // Some batches leave in this turn of the event loop, some in the next.
    if (round % 3 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  for (const [id, seqs] of order) expect(seqs, id).toEqual([...seqs].sort((a, b) => a - b));
  expect([...order.values()].reduce((n, s) => n + s.length, 0)).toBe(1000);
});

test('a changed or deleted station, and a changed profile, apply from the next message on', async () => {
  const stations = fleet();
  let stackMetrics: MetricsAgainst = flueGas;
  const ctx = { ...contextOf(stations), metricsFor: (s: Station) => (s.profile === 'flue-gas-cems' ? stackMetrics : s.domain) };
  const pool = poolOf(ctx, 1);
  const msg = (seq: number): Buffer => Buffer.from(JSON.stringify({ seq, ts: now + seq, values: { pm25: 5 } }));
  const first = pool.accept('air-1', topicOf('air-1'), msg(1));
  stations.set('air-1', { ...stations.get('air-1')!, region: '110101' });
  const second = pool.accept('air-1', topicOf('air-1'), msg(2));
  stations.delete('air-1');
  const third = pool.accept('air-1', topicOf('air-1'), msg(3));
  expect((await first).lines).toContain('region=440106');
  expect((await second).lines).toContain('region=110101');
  expect((await third).deadLetters.map((d) => d.code)).toEqual(['INGEST_ERR_UNKNOWN_DEVICE']);

  const stackMsg = Buffer.from(JSON.stringify({ seq: 9, ts: now, values: { o2: 11, so2: 30 } }));
  expect((await pool.accept('stack-1', topicOf('stack-1'), stackMsg)).deadLetters).toEqual([]);
  // The profile loses so2: the worker validates against the new table.
  const { so2: _so2, ...withoutSo2 } = flueGas;
  stackMetrics = withoutSo2;
  const after = await pool.accept('stack-1', topicOf('stack-1'), stackMsg);
  expect(after).toEqual(acceptReadings(ctx, 'stack-1', topicOf('stack-1'), stackMsg));
  expect(after.deadLetters[0]!.reason).toMatch(/so2/);
});

test('a worker that dies mid-load is restarted and every unanswered message is answered once, in order', async () => {
  const ctx = contextOf(fleet());
  const pool = poolOf(ctx, 2);
  const results = new Map<string, number[]>();
  const pending: Array<Promise<AcceptedMessage>> = [];
  for (let seq = 0; seq < 3000; seq++) {
    const id = `air-${seq % 12}`;
    const p = pool.accept(id, topicOf(id), Buffer.from(JSON.stringify({ seq, ts: now + seq, values: { pm25: 1 } }))).then((r) => {
      results.set(id, [...(results.get(id) ?? []), r.seq!]);
      return r;
    });
    pending.push(p);
    if (seq === 1500) {
      await new Promise((r) => setImmediate(r));
      pool.crashWorker(0);
      pool.crashWorker(1);
    }
  }
  const all = await Promise.all(pending);
  expect(all.map((r) => r.seq)).toEqual([...Array(3000).keys()]);
  for (const [id, seqs] of results) expect(seqs, id).toEqual([...seqs].sort((a, b) => a - b));
  expect(pool.stats.restarts).toBeGreaterThanOrEqual(2);
});

test('close answers what was handed in, then refuses', async () => {
  const pool = new AcceptWorkerPool({ ...contextOf(fleet()), size: 1, logger });
  const handed = pool.accept('air-1', topicOf('air-1'), Buffer.from(JSON.stringify({ seq: 1, ts: now, values: { pm25: 1 } })));
  await pool.close();
  expect((await handed).seq).toBe(1);
  await expect(pool.accept('air-1', topicOf('air-1'), Buffer.from('{}'))).rejects.toMatchObject({ code: 'INGEST_ERR_ACCEPT_CLOSED' });
});

test('acceptWith answers each message once, in order; a caller that throws on one answer costs the others nothing', async () => {
  const stations = fleet();
  const pool = poolOf(contextOf(stations), 1);
  const payload = (seq: number): Buffer => Buffer.from(JSON.stringify({ seq, ts: now + seq * 1000, values: { pm25: seq } }));
  const answered: number[] = [];
  await new Promise<void>((resolve) => {
    for (let seq = 1; seq <= 5; seq++) {
      pool.acceptWith('air-1', topicOf('air-1'), payload(seq), (err, result) => {
        expect(err).toBeNull();
        answered.push(result!.seq!);
        if (seq === 2) throw new Error('a caller bug');
        if (seq === 5) resolve();
      });
    }
  });
  expect(answered).toEqual([1, 2, 3, 4, 5]);
  expect(pool.stats.messages).toBe(5);
});
