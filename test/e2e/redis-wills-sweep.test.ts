/**
 * A dead node's wills, swept by several live nodes at the same moment (every node sweeps every 4
 * heartbeats), against a real Redis: each will comes out of exactly one sweep. aedes publishes a
 * swept will before it deletes it, so a sweep that only read the wills let two nodes publish the
 * same one (CI, under load: three copies).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { pino } from 'pino';
import { connectRedisLink } from '@shanshui/broker';
import type { RedisLink } from '@shanshui/broker';
import { startRedisServer } from '../support/redis-server.ts';
import type { RedisServer } from '../support/redis-server.ts';

interface SweptWill {
  readonly clientId?: string;
}
interface WillSweep {
  streamWill(brokers: Record<string, number>): AsyncGenerator<SweptWill>;
}

let redis: RedisServer;
const links: RedisLink[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  for (let i = 0; i < 3; i++) links.push(await connectRedisLink(redis.url, pino({ level: 'silent' })));
});

afterAll(async () => {
  for (const l of links) await l.close();
  await redis?.stop();
});

const sweepOf = (link: RedisLink): WillSweep => (link.persistence as unknown as { asyncPersistence: WillSweep }).asyncPersistence;

async function sweep(link: RedisLink, alive: Record<string, number>): Promise<string[]> {
  const out: string[] = [];
  for await (const will of sweepOf(link).streamWill(alive)) out.push(will.clientId ?? '?');
  return out;
}

test("three nodes sweeping a dead node's wills at once: each will comes out of one sweep only; a live node's will of another device stays", async () => {
  const r = links[0]!.redis;
  const willOf = (broker: string, device: string): string =>
    `${broker}\n${JSON.stringify({ topic: `shanshui/v1/${device}/up/status`, payload: Buffer.from('{"online":false}').toString('base64'), qos: 1, retain: false, clientId: device, brokerId: broker })}`;
  const devices = Array.from({ length: 50 }, (_, i) => `swept-${i}`);
  for (const d of devices) await r.hset('shanshui:wills', d, willOf('dead-node', d));
  await r.hset('shanshui:wills', 'kept-dev', willOf('live-node', 'kept-dev'));
  await r.sadd('shanshui:will-brokers', 'dead-node', 'live-node');
  const alive = { 'live-node': Date.now() };
  const swept = (await Promise.all(links.map((l) => sweep(l, alive)))).flat();
  expect(swept.sort()).toEqual([...devices].sort());
  expect(await r.hget('shanshui:wills', 'kept-dev')).toBe(willOf('live-node', 'kept-dev'));
});
