/**
 * Accept workers (#16 "Every core", README "Every core"): readings decoded, validated and
 * formatted on worker threads — real mqtt.js devices → the real platform (aedes, spool, two
 * worker threads) → a real influxd. Every reading of many stations is stored; each station's
 * readings reach the spool and the rules in publish order (the platform's own `readingsDurable`
 * events and its delivery statistics show it); dead letters keep their exact reasons; and a
 * worker that dies mid-load loses nothing the devices had acknowledged.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import assert from 'node:assert/strict';
import { encodePayload } from '@shanshui/models';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ReadingPublisher, pm25Of } from '../support/reading-publisher.ts';
import { metricValue } from '../support/prometheus-text.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ acceptWorkers: 2, maxMessagesPerSec: 10_000, maxMessagesBurst: 10_000 });
});
afterAll(async () => {
  await tp?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const metric = async (name: string): Promise<number | undefined> => metricValue((await tp.api('GET', '/metrics')).body as string, name);

test('with two workers, every reading of 24 stations is stored and each station reaches the rules in publish order', async () => {
  assert.equal(tp.platform.acceptWorkers?.size, 2);
  const STATIONS = 24;
  const MESSAGES = 40;
  const durable = new Map<string, number[]>();
  const onDurable = (e: { station: { id: string }; seq: number }): void => {
    if (!e.station.id.startsWith('many-')) return;
    durable.set(e.station.id, [...(durable.get(e.station.id) ?? []), e.seq]);
  };
  tp.platform.events.on('readingsDurable', onDurable);
  try {
    const ids = Array.from({ length: STATIONS }, (_, i) => `many-${String(i).padStart(2, '0')}`);
    const t0 = Date.now() - 3_600_000;
    await Promise.all(
      ids.map(async (id) => {
        const cred = await tp.register({ id });
        const client = await tp.connect(cred.username, cred.password);
        // No waiting between publishes: up to all 40 in flight on one connection, read by the platform in bursts.
        await Promise.all(
          Array.from({ length: MESSAGES }, (_, seq) => client.publishAsync(`shanshui/v1/${id}/up/readings`, JSON.stringify({ seq, ts: t0 + seq * 1000, values: { pm25: seq } }), { qos: 1 })),
        );
      }),
    );
    const [row] = await eventually(async () => {
      const r = await tp.query(`SELECT count(pm25) FROM air WHERE station =~ /^many-/`);
      return r[0]?.['count'] === STATIONS * MESSAGES ? r : undefined;
    }, 'every reading in InfluxDB', 60_000);
    expect(row?.['count']).toBe(STATIONS * MESSAGES);
    for (const id of ids) expect(durable.get(id), id).toEqual([...Array(MESSAGES).keys()]);
    const stations = await Promise.all(ids.map((id) => tp.api('GET', `/api/v1/stations/${id}`)));
    for (const s of stations) expect(s.body.delivery).toMatchObject({ received: MESSAGES, gaps: 0, late: 0, duplicates: 0 });
    // Both workers did the work (24 stations spread over two).
    expect(tp.platform.acceptWorkers!.stats.messages).toBeGreaterThanOrEqual(STATIONS * MESSAGES);
    // /metrics says so too: messages answered by the workers, in batches (several messages a postMessage), none done inline.
    expect(await metric('shanshui_accept_workers')).toBe(2);
    const messages = await metric('shanshui_accept_worker_messages_total');
    const batches = await metric('shanshui_accept_worker_batches_total');
    expect(messages).toBeGreaterThanOrEqual(STATIONS * MESSAGES);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(messages!);
    expect(await metric('shanshui_accept_worker_inline_total')).toBe(0);
  } finally {
    tp.platform.events.off('readingsDurable', onDurable);
  }
});

test('bad payloads become dead letters with the exact reason through the workers; valid readings keep flowing', async () => {
  const cred = await tp.register({ id: 'air-noisy-w' });
  const client = await tp.connect(cred.username, cred.password);
  const topic = 'shanshui/v1/air-noisy-w/up/readings';
  const now = Date.now();
  await client.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
  await client.publishAsync(topic, '{"seq": 2, "ts": 1', { qos: 1 });
  await client.publishAsync(topic, JSON.stringify({ seq: 3, ts: now, values: { pm25: 'high' } }), { qos: 1 });
  await client.publishAsync(topic, JSON.stringify({ seq: 4, ts: now, values: { ph: 7 } }), { qos: 1 });
  await client.publishAsync(topic, JSON.stringify({ seq: 5, ts: now + 86_400_000, values: { pm25: 7 } }), { qos: 1 });
  await client.publishAsync(topic, encodePayload({ seq: 6, ts: now, values: { pm25: 12 } }, 'cbor'), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = 'air-noisy-w'`)).length === 1, 'the valid reading', 30_000);
  // Dead letters reach the store through their own spool and drain, not with the readings: wait for all five.
  const res = await eventually(async () => {
    const r = await tp.api('GET', '/api/v1/dead-letters?device=air-noisy-w');
    return r.status === 200 && r.body.items.length >= 5 ? r : undefined;
  }, 'five dead letters', 30_000);
  const letters = (res.body.items as Array<{ code: string; reason: string; topic: string; payload?: string }>).reverse();
  expect(letters.map((d) => d.code)).toEqual(['INGEST_ERR_PAYLOAD_UNDECODABLE', 'INGEST_ERR_PAYLOAD_UNDECODABLE', 'INGEST_ERR_PAYLOAD_INVALID', 'INGEST_ERR_READING_REJECTED', 'INGEST_ERR_READING_REJECTED']);
  expect(letters[1]!.reason).toMatch(/not valid JSON/);
  expect(letters[2]!.reason).toMatch(/pm25/);
  expect(letters[3]!.reason).toMatch(/seq 4: .*unknown metric\(s\) for domain air: ph/);
  expect(letters[4]!.reason).toMatch(/seq 5: .*in the future/);
  for (const d of letters) expect(d.topic).toBe(topic);
  const station = await tp.api('GET', '/api/v1/stations/air-noisy-w');
  expect(station.body.delivery).toMatchObject({ rejected: 3 });
});

test('a station deleted and registered again in another domain is validated as it is now, by its worker too', async () => {
  const first = await tp.register({ id: 'reborn-w', domain: 'air' });
  let client = await tp.connect(first.username, first.password);
  await client.publishAsync('shanshui/v1/reborn-w/up/readings', JSON.stringify({ seq: 1, ts: Date.now() - 5000, values: { pm25: 3 } }), { qos: 1 });
  client.end(true);
  expect((await tp.api('DELETE', '/api/v1/stations/reborn-w')).status).toBeLessThan(300);
  const second = await tp.register({ id: 'reborn-w', domain: 'water', department: 'water' });
  client = await tp.connect(second.username, second.password);
  await client.publishAsync('shanshui/v1/reborn-w/up/readings', JSON.stringify({ seq: 2, ts: Date.now() - 1000, values: { ph: 7.2 } }), { qos: 1 });
  await eventually(async () => (await tp.query(`SELECT ph FROM water WHERE station = 'reborn-w'`)).length === 1, 'the water reading', 30_000);
});

test('workers killed mid-load: restarted, and every acknowledged reading is in InfluxDB exactly once', { timeout: 180_000 }, async () => {
  const pool = tp.platform.acceptWorkers!;
  const restartsBefore = pool.stats.restarts;
  const baseTs = Date.now() - 7_200_000;
  const publishers: ReadingPublisher[] = [];
  for (let i = 0; i < 8; i++) {
    const id = `crashw-${i}`;
    const cred = await tp.register({ id });
    publishers.push(new ReadingPublisher({ url: `mqtt://127.0.0.1:${tp.platform.mqttPort}`, deviceId: id, password: cred.password, baseTs, window: 8, intervalMs: 2 }));
  }
  for (const p of publishers) p.start();
  try {
    for (let k = 0; k < 4; k++) {
      const before = publishers.map((p) => p.acked.size);
      await eventually(() => publishers.every((p, i) => p.acked.size > before[i]! + 10), `devices publishing before kill ${k + 1}`, 60_000);
      // The instant a PUBACK arrives more messages are in flight: kill a worker right then.
      await new Promise<void>((resolve) => {
        const crash = (): void => {
          for (const p of publishers) p.onAck = undefined;
          pool.crashWorker(k % 2);
          resolve();
        };
        for (const p of publishers) p.onAck = crash;
      });
      await sleep(200);
    }
    await eventually(() => pool.stats.restarts >= restartsBefore + 4, 'four workers restarted', 60_000);
    expect(await metric('shanshui_accept_worker_restarts_total')).toBe(pool.stats.restarts);
    const acked = publishers.reduce((n, p) => n + p.acked.size, 0);
    await eventually(() => publishers.reduce((n, p) => n + p.acked.size, 0) > acked + 100, 'publishing goes on after the restarts', 60_000);
  } finally {
    await Promise.all(publishers.map((p) => p.stop(60_000)));
  }
  const problems: string[] = [];
  await eventually(async () => {
    const h = await tp.api('GET', '/healthz');
    return h.body.spool.records === 0;
  }, 'spool drained', 60_000);
  for (const p of publishers) {
    expect(p.unacked(), p.deviceId).toEqual([]);
    const rows = await tp.query(`SELECT pm25 FROM air WHERE station = '${p.deviceId}'`);
    const byTime = new Map(rows.map((r) => [Number(r['time']), Number(r['pm25'])]));
    const missing = [...p.acked].filter((seq) => byTime.get(p.tsOf(seq)) !== pm25Of(seq));
    if (missing.length > 0) problems.push(`${p.deviceId}: acknowledged but not stored with its value: seq ${missing.slice(0, 20).join(', ')}`);
    if (rows.length !== byTime.size) problems.push(`${p.deviceId}: ${rows.length} points for ${byTime.size} timestamps`);
  }
  expect(problems).toEqual([]);
});
