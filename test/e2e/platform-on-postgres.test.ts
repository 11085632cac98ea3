/**
 * The platform on PostgreSQL (SHANSHUI_DATABASE_URL): two nodes share one database (no Redis
 * here: each device talks to one node). A station registered through one node connects on the
 * other at once; a threshold crossed on a node gives one alert and each webhook event once,
 * though both nodes' delivery workers serve the one outbox; a station's rule state carries on
 * when its device moves to the other node; dead letters reach PostgreSQL behind the spool.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import postgres from 'pg';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startPostgres } from '../support/postgres-server.ts';
import type { PostgresServer } from '../support/postgres-server.ts';
import { storeReadOnEveryNode } from '../support/store-read.ts';

const SECRET = 'receiver-secret-0123456789abcdef';
let pg: PostgresServer;
let n1: TestPlatform;
let n2: TestPlatform;
let receiver: WebhookReceiver;
let databaseUrl: string;

beforeAll(async () => {
  pg = await startPostgres();
  databaseUrl = await pg.createDatabase();
  // One server key for the cluster: a secret stored through one node verifies on every node.
  const secretKey = randomBytes(32).toString('hex');
  const common = { databaseUrl, secretKey, defaultRules: false, storeReloadMs: 100, webhookTimeoutMs: 1000, webhookBackoffBaseMs: 50, webhookBackoffMaxMs: 200 };
  n1 = await startTestPlatform({ ...common, nodeId: 'node-1' });
  n2 = await startTestPlatform({ ...common, nodeId: 'node-2' });
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await n1?.close();
  await n2?.close();
  await receiver?.close();
  await pg?.stop();
});

/** Rules and subscriptions stored before `sinceMs` are in force on both nodes (each reads them again every storeReloadMs). */
const inForceOnBoth = (sinceMs: number): Promise<void> =>
  storeReadOnEveryNode([n1, n2].map((n) => async () => String((await n.api('GET', '/metrics')).body)), sinceMs);

const t0 = Date.now() - 600_000;
const reading = (seq: number, values: Record<string, number>, atSec = seq) => JSON.stringify({ seq, ts: t0 + atSec * 1000, values });

test('two nodes on one PostgreSQL: registered on one, connects on the other; one alert, each webhook event once', async () => {
  assert.equal(n1.platform.store.backend, 'postgres');
  const sub = await n1.api('POST', '/api/v1/subscriptions', { name: '应急中心', url: receiver.url, secret: SECRET, filters: { departments: ['pg-a'] } });
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  const rule = await n1.api('POST', '/api/v1/rules', { id: 'pg-pm25', name: 'PM2.5', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75, red: 150 }, scope: { department: 'pg-a' } });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const stored = Date.now();
  const cred = await n1.register({ id: 'air-pg-1', department: 'pg-a' });
  // Node 2 never saw the registration: it finds the station in the store at CONNECT.
  const client = await n2.connect(cred.username, cred.password);
  // Node 2 reads rules and subscriptions again every storeReloadMs (100 here): those made through node 1
  // are in force there once it began a read after they were stored.
  await inForceOnBoth(stored);
  await client.publishAsync('shanshui/v1/air-pg-1/up/readings', reading(1, { pm25: 80 }), { qos: 1 });
  await client.publishAsync('shanshui/v1/air-pg-1/up/readings', reading(2, { pm25: 200 }), { qos: 1 });
  await eventually(() => receiver.accepted().length === 2, 'firing and escalated delivered');
  const alerts = (await n1.api('GET', '/api/v1/alerts?state=all&station=air-pg-1')).body.items as Array<{ level: string; state: string }>;
  assert.deepEqual(alerts.map((a) => [a.level, a.state]), [['red', 'firing']], 'one alert, seen through the other node');
  // Both nodes poll the one outbox: give them time to send anything twice.
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(receiver.received.map((d) => d.event), ['alert.firing', 'alert.escalated'], 'each event once, in order');
  assert.equal(new Set(receiver.received.map((d) => d.idempotencyKey)).size, 2);
  const status = await n2.api('GET', '/api/v1/status');
  assert.equal(status.body.stations.online, 1, 'presence in the store: node 2 holds the connection');
  await client.endAsync();
});

/**
 * A reservoir station under a 2-minute water-level rule whose device reported above the level on
 * node 1 (at 0 s and each of `atSec`) and left: node 1 has saved the rule state (the duration begun).
 */
async function durationBegunOnNode1(id: string, department: string, atSec: readonly number[]): Promise<{ username: string; password: string; fired: () => Promise<boolean> }> {
  await n1.api('POST', '/api/v1/rules', { id: `level-${id}`, name: '水位', kind: 'threshold', metric: 'water_level', op: 'above', levels: { orange: 10 }, forSec: 120, scope: { department } });
  const stored = Date.now();
  const cred = await n1.register({ id, department, domain: 'reservoir' });
  await inForceOnBoth(stored);
  const onFirst = await n1.connect(cred.username, cred.password);
  for (const [i, at] of atSec.entries()) await onFirst.publishAsync(`shanshui/v1/${id}/up/readings`, reading(i + 1, { water_level: 12 }, at), { qos: 1 });
  await onFirst.endAsync();
  // The first node saves the state when the device leaves; the second takes it when it arrives.
  await eventually(async () => (await n1.platform.store.rules.loadStates(id)).size > 0, 'the rule state saved by the first node');
  return { ...cred, fired: async () => ((await n1.api('GET', `/api/v1/alerts?state=all&station=${id}`)).body.items as unknown[]).length === 1 };
}

test('a station moves to the other node: its rule state (a duration begun) carries on there', async () => {
  const station = await durationBegunOnNode1('res-pg-1', 'pg-b', [0, 60]);
  const onSecond = await n2.connect(station.username, station.password);
  await onSecond.publishAsync('shanshui/v1/res-pg-1/up/readings', reading(3, { water_level: 12 }, 130), { qos: 1 });
  await eventually(station.fired, 'fires after 2 minutes that began on the first node');
  await onSecond.endAsync();
});

test("a station's readings that come before its rule state is taken over wait for it (the node does not start the duration again)", async () => {
  const station = await durationBegunOnNode1('res-pg-2', 'pg-f', [0]);
  // Node 2's read of the station's rule state is held up (the table locked) until its first reading has been evaluated.
  const blocker = new postgres.Client({ connectionString: databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE rule_state IN ACCESS EXCLUSIVE MODE');
    const onSecond = await n2.connect(station.username, station.password);
    const waiting = async (): Promise<number> => Number((await blocker.query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'rule_state'::regclass")).rows[0].n);
    await eventually(async () => (await waiting()) > 0, "node 2's takeover read waits for the lock");
    // Acknowledged once durable; the rules' flush runs in the same turn (process.nextTick), before this client reads the PUBACK.
    await onSecond.publishAsync('shanshui/v1/res-pg-2/up/readings', reading(2, { water_level: 12 }, 130), { qos: 1 });
    await blocker.query('COMMIT');
    await eventually(station.fired, 'fires: 130 s above since the reading on the first node');
    await onSecond.endAsync();
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    await blocker.end();
  }
});

test('dead letters reach PostgreSQL behind the spool, visible through either node', async () => {
  const cred = await n1.register({ id: 'air-pg-dl', department: 'pg-c' });
  const client = await n2.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/air-pg-dl/up/readings', '{"seq":1,"ts":"yesterday"}', { qos: 1 });
  await eventually(async () => ((await n1.api('GET', '/api/v1/dead-letters?device=air-pg-dl')).body.items as unknown[]).length === 1, 'the dead letter, through node 1');
  await client.endAsync();
});

test('a station deleted through one node is gone on the other at once: its session there ends', async () => {
  const cred = await n1.register({ id: 'air-pg-del', department: 'pg-d' });
  const client = await n2.connect(cred.username, cred.password);
  let closed = false;
  client.once('close', () => (closed = true));
  assert.equal((await n1.api('DELETE', '/api/v1/stations/air-pg-del')).status, 204);
  // Node 2 reads the store's change feed every storeReloadMs (100 here).
  await eventually(() => n2.platform.registry.get('air-pg-del') === undefined, 'node 2 forgets the station');
  await eventually(() => closed, 'its session on node 2 closed');
});

test('the same config version put through both nodes at once: one is published, the other refused (API_ERR_CONFIG_VERSION)', async () => {
  await n1.register({ id: 'gw-pg-cfg', department: 'pg-e', domain: 'reservoir' });
  await eventually(async () => (await n2.api('GET', '/api/v1/stations/gw-pg-cfg')).status === 200, 'node 2 knows the station');
  for (let round = 1; round <= 5; round++) {
    const config = (port: number) => ({ version: round, sources: [{ kind: 'sl651', port }] });
    const answers = await Promise.all([n1.api('PUT', '/api/v1/stations/gw-pg-cfg/config', config(9651)), n2.api('PUT', '/api/v1/stations/gw-pg-cfg/config', config(9652))]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], `round ${round}: ${JSON.stringify(answers.map((a) => a.body))}`);
    const won = answers.find((a) => a.status === 200)!.body.config.sources[0].port as number;
    assert.equal((await n2.api('GET', '/api/v1/stations/gw-pg-cfg/config')).body.config.sources[0].port, won, 'stored is what was published');
  }
});
