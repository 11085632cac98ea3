/**
 * Webhook DNS lookups take at most two of libuv's four threads at a time: a receiver name whose
 * name server drops queries must not stall the spool's writes and fsyncs, which share that pool.
 * The guard's creation checks and the deliveries' connections share one limit; the lookups run
 * against a held resolver standing for such a name server, the deliveries against a real receiver.
 */
import { test, expect, afterAll } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { fetch } from 'undici';
import { OutboundGuard } from './outbound-guard.ts';
import { createGuardedDispatcher } from './guarded-dispatcher.ts';
import { WEBHOOK_LOOKUPS_AT_ONCE, limitResolver } from './webhook-resolver.ts';
import type { Resolver } from './webhook-resolver.ts';
import { startCountingReceiver } from './testing/counting-receiver.ts';

/** A resolver that answers only when told to: `pending` lists the names it was asked for and not yet answered. */
function held(): { resolve: Resolver; asked: string[]; pending: () => number; answer: (address: string) => void } {
  const waiting: Array<{ host: string; callback: (err: NodeJS.ErrnoException | null, answers: LookupAddress[]) => void }> = [];
  const asked: string[] = [];
  return {
    resolve: (host, _opts, callback) => {
      asked.push(host);
      waiting.push({ host, callback });
    },
    asked,
    pending: () => waiting.length,
    answer: (address) => waiting.shift()?.callback(null, [{ address, family: 4 }]),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

test('limitResolver: at most n lookups at a time, the rest in arrival order; errors and throws free their place', async () => {
  const h = held();
  const limited = limitResolver(h.resolve, 2);
  const done: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) limited(name, { all: true }, (err, answers) => done.push(`${name}:${err ? 'err' : answers[0]!.address}`));
  expect(h.asked).toEqual(['a', 'b']);
  h.answer('192.0.2.1');
  expect(done).toEqual(['a:192.0.2.1']);
  expect(h.asked).toEqual(['a', 'b', 'c']);
  h.answer('192.0.2.2');
  h.answer('192.0.2.3');
  h.answer('192.0.2.4');
  expect(done).toEqual(['a:192.0.2.1', 'b:192.0.2.2', 'c:192.0.2.3', 'd:192.0.2.4']);

  let calls = 0;
  const failing = limitResolver((_h, _o, callback) => {
    calls++;
    if (calls === 1) throw new Error('resolver threw');
    callback(Object.assign(new Error('ENOTFOUND x'), { code: 'ENOTFOUND' }), []);
  }, 1);
  const errors: string[] = [];
  failing('x', { all: true }, (err) => errors.push(err?.message ?? 'none'));
  failing('y', { all: true }, (err) => errors.push(err?.message ?? 'none'));
  expect(errors).toEqual(['resolver threw', 'ENOTFOUND x']);
});

test(`the guard's creation checks and the deliveries' connections share one limit of ${WEBHOOK_LOOKUPS_AT_ONCE} lookups`, async () => {
  const receiver = await startCountingReceiver();
  afterAll(() => receiver.close());
  const port = receiver.port;
  const h = held();
  const guard = new OutboundGuard({ allowNetworks: ['127.0.0.0/8'], ownPorts: () => [], resolve: h.resolve });
  const checks = [guard.urlRefusal('http://slow-1.example/hook'), guard.urlRefusal('http://slow-2.example/hook')];
  const dispatcher = createGuardedDispatcher(guard, { connectTimeoutMs: 10_000 });
  const delivery = fetch(`http://receiver.example:${port}/hook`, { method: 'POST', body: '{}', dispatcher }).then(async (res) => {
    await res.text();
    return res.status;
  });
  await tick();
  expect(h.asked, 'the delivery waits for a place').toEqual(['slow-1.example', 'slow-2.example']);
  expect(receiver.hits).toBe(0);
  h.answer('203.0.113.7');
  expect(await checks[0]).toBeUndefined();
  await tick();
  expect(h.asked).toEqual(['slow-1.example', 'slow-2.example', 'receiver.example']);
  h.answer('203.0.113.8');
  h.answer('127.0.0.1');
  expect(await checks[1]).toBeUndefined();
  expect(await delivery).toBe(200);
  expect(receiver.hits).toBe(1);
  await dispatcher.close();
});
