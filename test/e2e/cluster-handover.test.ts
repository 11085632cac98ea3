/**
 * What one node learns, every node knows — three platform nodes on loopback (child processes)
 * sharing a real PostgreSQL, Redis and influxd:
 * - a secret rotated through one node ends the device's session on the node that holds it;
 * - a station profile put through node 1 takes readings at once on node 3;
 * - delivery statistics (gaps, missing) stay right when a device moves between nodes, and any
 *   node shows them;
 * - a node killed with kill -9 leaves no device "online" for ever: once the node is silent past
 *   `nodeDeadAfterMs`, the leader marks its devices offline — except those that reconnected elsewhere.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startCluster } from '../support/cluster.ts';
import type { Cluster, ClusterNode } from '../support/cluster.ts';
import { closedPromise, connectOnce, endQuietly, publishQos1 } from '../support/mqtt-device.ts';

let cluster: Cluster;
const clients: MqttClient[] = [];
const POLL = { timeout: 30_000 };

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, config: { defaultRules: false, nodeHeartbeatMs: 300, nodeDeadAfterMs: 2000 } });
});
afterAll(async () => {
  for (const c of clients) await endQuietly(c);
  await cluster?.close();
});

const node = (i: number): ClusterNode => cluster.nodes[i]!;

async function connect(n: ClusterNode, id: string, password: string): Promise<MqttClient> {
  const client = await connectOnce(n.mqttUrl, { clientId: id, username: id, password, keepalive: 60, clean: true, protocolVersion: 4 });
  clients.push(client);
  return client;
}

function reading(seq: number, ts: number, values: Record<string, number>): string {
  return JSON.stringify({ seq, ts, values });
}

async function presenceOf(n: ClusterNode, id: string): Promise<boolean | undefined> {
  return (await n.api.call('GET', `/api/v1/stations/${id}`)).body.presence?.online;
}

test('a secret rotated through node 1 ends the session the device holds on node 3; the old secret no longer connects anywhere', async () => {
  const cred = await node(0).api.register({ id: 'air-rotated' });
  const client = await connect(node(2), cred.username, cred.password);
  const closed = closedPromise(client);
  const rotated = await node(0).api.call('POST', '/api/v1/stations/air-rotated/credentials');
  expect(rotated.status).toBe(201);
  await expect(Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 10_000))])).resolves.toBe('closed');
  for (let i = 0; i < 3; i++) await expect(connect(node(i), cred.username, cred.password), `old secret on node ${i + 1}`).rejects.toMatchObject({ code: 4 });
  const again = await connect(node(2), cred.username, rotated.body.credentials.password);
  expect(again.connected).toBe(true);
});

test('a station profile put through node 1 takes readings on node 3 at once, and so does its next version', async () => {
  const profile = {
    id: 'odour-cluster',
    name: '恶臭监测点',
    nameEn: 'Odour monitoring point',
    domain: 'air',
    extends: 'air',
    metrics: ['h2s'],
    customMetrics: [{ id: 'odour_concentration', name: '臭气浓度', nameEn: 'odour concentration', unit: '', precision: 0, min: 0, max: 100000 }],
  };
  expect((await node(0).api.call('PUT', '/api/v1/profiles/odour-cluster', profile)).status).toBe(200);
  // Every node lists it, and registers stations with it.
  for (let i = 0; i < 3; i++) await expect.poll(async () => (await node(i).api.call('GET', '/api/v1/profiles/odour-cluster')).status, POLL).toBe(200);
  const cred = await node(1).api.register({ id: 'odour-n3', profile: 'odour-cluster' });
  const client = await connect(node(2), cred.username, cred.password);
  const ts = Date.now() - 5000;
  expect(await publishQos1(client, 'shanshui/v1/odour-n3/up/readings', reading(1, ts, { odour_concentration: 1320, h2s: 12 }))).toBe('acked');
  await expect.poll(async () => cluster.query(`SELECT odour_concentration, h2s FROM air WHERE station = 'odour-n3'`), POLL).toEqual([{ time: ts, odour_concentration: 1320, h2s: 12 }]);
  // Version 2 adds pm25: node 3 takes it without a restart.
  expect((await node(0).api.call('PUT', '/api/v1/profiles/odour-cluster', { ...profile, metrics: ['h2s', 'pm25'] })).status).toBe(200);
  await expect.poll(async () => (await node(2).api.call('GET', '/api/v1/profiles/odour-cluster')).body.profile?.version, POLL).toBe(2);
  expect(await publishQos1(client, 'shanshui/v1/odour-n3/up/readings', reading(2, ts + 1000, { pm25: 31 }))).toBe('acked');
  await expect.poll(async () => cluster.query(`SELECT pm25 FROM air WHERE station = 'odour-n3'`), POLL).toEqual([{ time: ts + 1000, pm25: 31 }]);
});

test('delivery statistics stay right when a device moves between nodes, and every node shows them', async () => {
  const cred = await node(0).api.register({ id: 'air-mover' });
  const t0 = Date.now() - 60_000;
  const publishRange = async (c: MqttClient, from: number, to: number): Promise<void> => {
    for (let seq = from; seq <= to; seq++) expect(await publishQos1(c, 'shanshui/v1/air-mover/up/readings', reading(seq, t0 + seq * 1000, { pm25: seq }))).toBe('acked');
  };
  // Node 1 gets 1..5 and the device leaves; node 2 gets 6..10; node 3 gets 11, 12 and (skipping 13) 14.
  const c1 = await connect(node(0), cred.username, cred.password);
  await publishRange(c1, 1, 5);
  await c1.endAsync();
  await expect.poll(() => presenceOf(node(1), 'air-mover'), POLL).toBe(false);
  const c2 = await connect(node(1), cred.username, cred.password);
  await publishRange(c2, 6, 10);
  await c2.endAsync();
  await expect.poll(() => presenceOf(node(2), 'air-mover'), POLL).toBe(false);
  const c3 = await connect(node(2), cred.username, cred.password);
  await publishRange(c3, 11, 12);
  await publishRange(c3, 14, 14);
  const expected = { lastSeq: 14, received: 13, duplicates: 0, gaps: 1, missing: 1, late: 0, rejected: 0, resets: 0 };
  for (let i = 0; i < 3; i++) {
    await expect.poll(async () => (await node(i).api.call('GET', '/api/v1/stations/air-mover')).body.delivery, POLL).toMatchObject(expected);
    await expect
      .poll(async () => ((await node(i).api.call('GET', '/api/v1/delivery')).body.items as Array<{ deviceId: string }>).find((d) => d.deviceId === 'air-mover'), POLL)
      .toMatchObject(expected);
  }
  await c3.endAsync();
});

test("station metadata is written once per leadership, not again by every node that restarts", async () => {
  // Node 1 started first and leads (advisory lock); nodes 2 and 3 restart. Each writes a marker
  // station through itself afterwards: its spool is drained in order, so once the marker's
  // metadata is in InfluxDB, anything that node wrote at its start is there too.
  await node(0).api.register({ id: 'air-meta' });
  const infoOf = async (id: string): Promise<number> => (await cluster.query(`SELECT active FROM station_info WHERE station = '${id}'`)).length;
  await expect.poll(() => infoOf('air-meta'), POLL).toBe(1);
  for (const i of [1, 2]) {
    await node(i).platform.stop();
    await node(i).platform.start(120_000);
    await node(i).api.register({ id: `air-meta-mark${i}` });
    await expect.poll(() => infoOf(`air-meta-mark${i}`), POLL).toBe(1);
  }
  expect(await infoOf('air-meta')).toBe(1);
});

test('kill -9 of a node: the leader marks its devices offline after the grace period, except one that reconnected elsewhere', async () => {
  const stay = await node(0).api.register({ id: 'air-orphan' });
  const move = await node(0).api.register({ id: 'air-roamer' });
  await connect(node(2), stay.username, stay.password);
  await connect(node(2), move.username, move.password);
  await expect.poll(() => presenceOf(node(0), 'air-orphan'), POLL).toBe(true);
  await expect.poll(() => presenceOf(node(0), 'air-roamer'), POLL).toBe(true);
  await node(2).platform.kill9();
  await connect(node(1), move.username, move.password);
  await expect.poll(() => presenceOf(node(0), 'air-orphan'), POLL).toBe(false);
  expect(await presenceOf(node(0), 'air-roamer')).toBe(true);
  // And it stays so (the sweep never touches a device another node holds).
  await new Promise((r) => setTimeout(r, 3000));
  expect(await presenceOf(node(1), 'air-roamer')).toBe(true);
  await node(2).platform.start(120_000);
});
