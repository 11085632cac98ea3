/**
 * The retained messages a SUBSCRIBE gets in a cluster, against a real Redis: the same packets as
 * aedes-persistence-redis' own lookup, asked with one HMGET for all exact filters instead of one
 * HGET each (two round trips per device CONNECT, 200,000 in a storm of 100,000 devices).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { pino } from 'pino';
import { connectRedisLink } from '@shanshui/broker';
import type { RedisLink } from '@shanshui/broker';
import { startRedisServer } from '../support/redis-server.ts';
import type { RedisServer } from '../support/redis-server.ts';

interface Retained {
  readonly topic: string;
  readonly payload: Buffer | Uint8Array;
}
interface RetainedStore {
  storeRetained(packet: { cmd: 'publish'; topic: string; payload: Buffer; qos: 0 | 1; retain: true; brokerId: string; brokerCounter: number }): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<Retained>;
}

let redis: RedisServer;
let link: RedisLink;

beforeAll(async () => {
  redis = await startRedisServer();
  link = await connectRedisLink(redis.url, pino({ level: 'silent' }));
});

afterAll(async () => {
  await link?.close();
  await redis?.stop();
});

const store = (): RetainedStore => (link.persistence as unknown as { asyncPersistence: RetainedStore }).asyncPersistence;

async function retained(patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const p of store().createRetainedStreamCombi(patterns)) out.push(`${p.topic}=${Buffer.from(p.payload).toString('utf8')}`);
  return out.sort();
}

async function callsOf(...commands: string[]): Promise<number[]> {
  const info = await link.redis.info('commandstats');
  return commands.map((c) => Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(info)?.[1] ?? 0));
}

test('exact and wildcard filters get every retained message they match, once; all exact filters are one HMGET', async () => {
  let counter = 0;
  const put = (topic: string, text: string): Promise<void> =>
    store().storeRetained({ cmd: 'publish', topic, payload: Buffer.from(text), qos: 1, retain: true, brokerId: 'node-a', brokerCounter: ++counter });
  await put('shanshui/v1/dev-1/down/config', '{"interval":60}');
  await put('shanshui/v1/dev-2/down/config', '{"interval":30}');
  await put('shanshui/v1/dev-2/down/extra', 'x');

  await link.redis.config('RESETSTAT');
  // A device subscribing to its config and command topics, neither retained: one command.
  expect(await retained(['shanshui/v1/dev-9/down/config', 'shanshui/v1/dev-9/down/command'])).toEqual([]);
  expect(await callsOf('hmget', 'hget')).toEqual([1, 0]);

  await link.redis.config('RESETSTAT');
  // Its config retained: the HMGET, then the library reads (and decodes) that one packet.
  expect(await retained(['shanshui/v1/dev-1/down/config', 'shanshui/v1/dev-1/down/command'])).toEqual(['shanshui/v1/dev-1/down/config={"interval":60}']);
  expect(await callsOf('hmget', 'hget')).toEqual([1, 1]);

  // Exact filters beside a wildcard one: each matching message once.
  expect(await retained(['shanshui/v1/dev-2/down/config', 'shanshui/v1/dev-1/down/command', 'shanshui/v1/dev-2/down/#'])).toEqual([
    'shanshui/v1/dev-2/down/config={"interval":30}',
    'shanshui/v1/dev-2/down/extra=x',
  ]);
  // One exact filter: the library's own lookup, unchanged.
  expect(await retained(['shanshui/v1/dev-1/down/config'])).toEqual(['shanshui/v1/dev-1/down/config={"interval":60}']);
  expect(await retained(['shanshui/v1/+/down/config'])).toEqual(['shanshui/v1/dev-1/down/config={"interval":60}', 'shanshui/v1/dev-2/down/config={"interval":30}']);
});
