/**
 * Rules off the publish path (issue #16): durable messages queued in one turn of the event loop
 * are one flush — their alert changes and rule states ONE store transaction — and each
 * station's alert lifecycle is exactly what its readings say, in order. Real SQLite (the
 * transactions counted on the client itself), real rules, a real HTTP receiver.
 */
import { afterEach, expect, test, vi } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import { SqliteClient } from '../state/sql/sqlite-client.ts';
import type { SqlClient } from '../state/sql/sql-client.ts';
import { migrateSqlite } from '../state/sql/apply-migrations.ts';
import { sqlPlatformStore } from '../state/sql/sql-platform-store.ts';
import { SoleLeadership } from '../state/leadership.ts';
import { createMetrics } from '../metrics.ts';
import { toRule } from '../rules/rule-store.ts';
import { startWarnings } from './start-warnings.ts';
import type { Warnings } from './start-warnings.ts';

const logger = pino({ level: 'silent' });
const T0 = 1_800_000_000_000;

/** The real SQLite client, counting the transactions it runs. */
class CountingSqlite extends SqliteClient {
  transactions = 0;
  override transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.transactions++;
    return super.transaction(fn);
  }
}

const station = (id: string): Station => ({ id, name: `站 ${id}`, domain: 'air', lat: 23, lon: 113, region: '440106', department: 'flush-test', createdAt: '' });
const reading = (i: number, pm25: number): Reading => ({ ts: T0 + i * 60_000, values: { pm25: { v: pm25, q: 'ok' } } });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(): Promise<{ warnings: Warnings; db: CountingSqlite; metrics: ReturnType<typeof createMetrics>; deliveries: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shanshui-rule-flush-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const db = new CountingSqlite(path.join(dir, 'state.db'));
  migrateSqlite(db.database);
  const store = sqlPlatformStore(db, { backend: 'sqlite', logger, leadership: () => new SoleLeadership() });
  cleanups.push(() => store.close());
  // The receiver: which station and event each delivery was about, in arrival order.
  const deliveries: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { alert: { station: { id: string }; level: string } };
      deliveries.push(`${parsed.alert.station.id} ${String(req.headers['x-shanshui-event'])} ${parsed.alert.level}`);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await store.rules.save(toRule({ id: 'pm25', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { blue: 35, yellow: 75, orange: 115, red: 150 }, scope: { department: 'flush-test' } }), 'create', 'test');
  await store.subscriptions.create({ name: '测试应急中心', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret: 'flush-test-secret-0123456789', filters: { minLevel: 'blue' }, format: 'json', signature: 'hmac-sha256', enabled: true });
  const metrics = createMetrics();
  const stations = new Map(['a', 'b'].map((id) => [id, station(id)]));
  const warnings = await startWarnings({
    points: { write: () => undefined },
    store,
    logger,
    metrics,
    stations: { get: (id) => stations.get(id), all: () => [...stations.values()] },
    options: { seedDefaultRules: false, ruleStateFlushMs: 60_000, staleCheckIntervalMs: 60_000, reloadMs: 60_000, outbound: { allowNetworks: ['127.0.0.0/8'], ownPorts: () => [] } },
  });
  cleanups.push(() => warnings.stop());
  return { warnings, db, metrics, deliveries };
}

test('many messages of two stations in one flush: one store transaction, and each station’s exact alert lifecycle in order', async () => {
  const { warnings, db, metrics, deliveries } = await setUp();
  const onReadings = warnings.consumer.on.readingsDurable!;
  // Up and down across the levels, one message per reading, the two stations interleaved.
  const a = [40, 80, 20, 160, 100, 10, 50];
  const b = [10, 120, 30, 200, 5];
  const before = db.transactions;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) onReadings({ station: station('a'), seq: i + 1, readings: [reading(i, a[i]!)] });
    if (i < b.length) onReadings({ station: station('b'), seq: i + 1, readings: [reading(i, b[i]!)] });
  }
  // Queued only: nothing evaluated or written while the publish path runs.
  expect(db.transactions).toBe(before);
  await warnings.settled();
  expect(db.transactions - before).toBe(1);
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/^shanshui_rule_flush_commits_total 1$/m);
  expect(text).toMatch(/^shanshui_rule_flush_messages_total 12$/m);

  // One flush, one platform time: the alerts are told apart by the order their outbox rows were written in.
  const lifecycle = async (stationId: string): Promise<string[][]> => {
    const rows = await db.all<{ alert_id: string }>('SELECT o.alert_id FROM webhook_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.station_id = ? GROUP BY o.alert_id ORDER BY min(o.id)', [stationId]);
    return Promise.all(rows.map(async (r) => (await warnings.alerts.events(r.alert_id)).map((e) => `${e.type} ${e.level}`)));
  };
  // A drop that stays a warning (160 → 100) changes nothing; the alert keeps its highest level.
  expect(await lifecycle('a')).toEqual([
    ['firing blue', 'escalated yellow', 'resolved yellow'],
    ['firing red', 'resolved red'],
    ['firing blue'],
  ]);
  expect(await lifecycle('b')).toEqual([
    ['firing orange', 'resolved orange'],
    ['firing red', 'resolved red'],
  ]);
  // The receiver gets each station's events in that order.
  await vi.waitFor(() => expect(deliveries).toHaveLength(10), { timeout: 30_000 });
  expect(deliveries.filter((d) => d.startsWith('a '))).toEqual([
    'a alert.firing blue', 'a alert.escalated yellow', 'a alert.resolved yellow', 'a alert.firing red', 'a alert.resolved red', 'a alert.firing blue',
  ]);
  expect(deliveries.filter((d) => d.startsWith('b '))).toEqual(['b alert.firing orange', 'b alert.resolved orange', 'b alert.firing red', 'b alert.resolved red']);
});

test('the rule state behind a flush’s alert changes is committed with them; a flush without changes writes nothing', async () => {
  const { warnings, db } = await setUp();
  const onReadings = warnings.consumer.on.readingsDurable!;
  const before = db.transactions;
  // Below every level: no alert change, so no transaction (the state waits for the periodic save).
  for (let i = 0; i < 5; i++) onReadings({ station: station('a'), seq: i + 1, readings: [reading(i, 10 + i)] });
  await warnings.settled();
  expect(db.transactions).toBe(before);
  onReadings({ station: station('a'), seq: 6, readings: [reading(5, 90)] });
  await warnings.settled();
  expect(db.transactions - before).toBe(1);
  const saved = await db.get<{ state: string }>("SELECT state FROM rule_state WHERE station_id = 'a' AND rule_id = 'pm25'");
  expect(JSON.parse(saved!.state)).toMatchObject({ active: 'yellow', lastTs: T0 + 5 * 60_000, lastValue: 90 });
});

test('cluster: a station whose rule state is being taken over (its device just came to this node) has its messages wait for it, in order; other stations go at once', async () => {
  const { warnings, metrics } = await setUp();
  const onReadings = warnings.consumer.on.readingsDurable!;
  const evaluated = async (): Promise<string | undefined> => /^shanshui_rule_flush_messages_total (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
  const takeover = warnings.engine.takeOverStation('a');
  onReadings({ station: station('a'), seq: 1, readings: [reading(0, 40)] });
  onReadings({ station: station('a'), seq: 2, readings: [reading(1, 80)] });
  onReadings({ station: station('b'), seq: 1, readings: [reading(0, 120)] });
  // The flush ran (process.nextTick, queued first): only b's message was evaluated.
  await new Promise((r) => process.nextTick(r));
  expect(await evaluated()).toBe('1');
  // One more of a while its state is still being read: it waits behind the others.
  onReadings({ station: station('a'), seq: 3, readings: [reading(2, 160)] });
  await new Promise((r) => process.nextTick(r));
  expect(await evaluated()).toBe('1');
  await takeover;
  await warnings.settled();
  expect(await evaluated()).toBe('4');
  const events = async (stationId: string): Promise<string[]> => {
    const open = (await warnings.alerts.allOpen()).filter((x) => x.stationId === stationId);
    return (await Promise.all(open.map((x) => warnings.alerts.events(x.id)))).flat().map((e) => `${e.type} ${e.level}`);
  };
  expect(await events('a')).toEqual(['firing blue', 'escalated yellow', 'escalated red']);
  expect(await events('b')).toEqual(['firing orange']);
});
