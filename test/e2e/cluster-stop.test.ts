/**
 * A node that stops gives the cross-station leadership up as its stop begins (right after its
 * listeners close), not at the end when its store closes: another node leads within its retry
 * interval, and a node on its way out never wins the lock (in a whole-cluster stop it would
 * otherwise take it from a node that had already exited, then write every station's metadata
 * while it stops).
 *
 * The leader's stop is held open deterministically: Redis is paused (SIGSTOP), so closing the
 * broker's Redis connections waits until it is resumed.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { leadsCrossStationRules, startCluster } from '../support/cluster.ts';
import type { Cluster } from '../support/cluster.ts';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, config: { leaderRetryMs: 100 } });
}, 180_000);

afterAll(async () => {
  cluster?.redis.process.kill('SIGCONT');
  await cluster?.close();
});

/** The nodes whose last leadership line says they lead. */
async function leaders(): Promise<number[]> {
  const out: number[] = [];
  for (const n of cluster.nodes) if (await leadsCrossStationRules(n)) out.push(n.index);
  return out;
}

test('a stopping leader hands the cross-station rules over before the rest of its stop', async () => {
  await expect.poll(leaders, { timeout: 30_000 }).toHaveLength(1);
  const [leader] = await leaders();
  const follower = cluster.nodes.find((n) => n.index !== leader)!;
  const stopping = cluster.nodes[leader!]!.platform;
  cluster.redis.process.kill('SIGSTOP');
  try {
    const stopped = stopping.stop(60_000);
    // The follower leads while the old leader is still stopping (held on its Redis connections).
    await expect.poll(leaders, { timeout: 10_000 }).toEqual([follower.index]);
    expect(stopping.running).toBe(true);
    expect(await leadsCrossStationRules(cluster.nodes[leader!]!)).toBe(false);
    cluster.redis.process.kill('SIGCONT');
    await stopped;
  } finally {
    cluster.redis.process.kill('SIGCONT');
  }
  // Back: it follows, and the leadership stays where it went.
  await stopping.start(120_000);
  await new Promise((r) => setTimeout(r, 1000));
  expect(await leaders()).toEqual([follower.index]);
}, 180_000);
