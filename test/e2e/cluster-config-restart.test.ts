/**
 * A node that starts in a cluster finds the agent configs already retained in Redis: it must not
 * publish them again. Publishing them would push every config once more, live, to every connected
 * device on every node (100,000 messages per node restart at province size) — and a config read
 * from the store just before an operator publishes a newer one would go out after it, replacing
 * the retained newer version with the older one. Only a config missing from Redis (Redis lost its
 * data) or older there than in the store (a publish that failed) is published at start.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startCluster } from '../support/cluster.ts';
import type { Cluster } from '../support/cluster.ts';
import { connectOnce, endQuietly } from '../support/mqtt-device.ts';

let cluster: Cluster;
const clients: MqttClient[] = [];
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, config: { defaultRules: false } });
});
afterAll(async () => {
  for (const c of clients) await endQuietly(c);
  await cluster?.close();
});

const CONFIG = {
  version: 1,
  sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=1;s=Gate1.Level', metric: 'water_level' }], commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } }] }],
};

async function listeningDevice(nodeIndex: number, id: string, password: string): Promise<Array<{ topic: string; version?: number; retain: boolean }>> {
  const client = await connectOnce(cluster.nodes[nodeIndex]!.mqttUrl, { clientId: id, username: id, password, clean: true, protocolVersion: 4 });
  clients.push(client);
  const got: Array<{ topic: string; version?: number; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => got.push({ topic: topic.split('/').pop()!, version: (JSON.parse(payload.toString()) as { version?: number }).version, retain: packet.retain }));
  await client.subscribeAsync([`shanshui/v1/${id}/down/config`, `shanshui/v1/${id}/down/command`], { qos: 1 });
  return got;
}

test('a node restarted in a cluster does not push the retained configs again to devices on other nodes; a new subscriber still gets them', { timeout: 240_000 }, async () => {
  const [n1] = cluster.nodes;
  const cred = await n1!.api.register({ id: 'sluice-rs', domain: 'reservoir', department: 'water' });
  expect((await n1!.api.call('PUT', '/api/v1/stations/sluice-rs/config', CONFIG)).status).toBe(200);
  const got = await listeningDevice(1, cred.username, cred.password);
  await expect.poll(() => got.filter((m) => m.topic === 'config').map((m) => m.version), { timeout: 30_000 }).toEqual([1]);

  await n1!.platform.stop();
  await n1!.platform.start(120_000);
  // A command through the restarted node travels behind anything it published at start (one
  // publisher connection to Redis, in order): once it has arrived, so has any config pushed again.
  const sent = await n1!.api.call('POST', '/api/v1/stations/sluice-rs/commands', { name: 'open_gate', args: { value: true } });
  expect(sent.status).toBe(202);
  await expect.poll(() => got.filter((m) => m.topic === 'command').length, { timeout: 30_000 }).toBe(1);
  expect(got.filter((m) => m.topic === 'config').map((m) => m.version), 'the config once, when the device subscribed — not again when node 1 restarted').toEqual([1]);

  // The retained copy is still there for the next subscription, on either node (the device again,
  // now on node 1: its session on node 2 ends).
  const fresh = await listeningDevice(0, cred.username, cred.password);
  await expect.poll(() => fresh.filter((m) => m.topic === 'config').map((m) => [m.version, m.retain]), { timeout: 30_000 }).toEqual([[1, true]]);
});
