/**
 * The connect-time check against a real HTTP receiver: a name whose answer changes between the
 * creation check and the connection (DNS rebinding) is refused before a socket opens; so is a
 * mixed answer, an IP literal, and the platform's own port even when its network is allowed.
 */
import { test, expect, afterAll } from 'vitest';
import { fetch } from 'undici';
import { OutboundGuard } from './outbound-guard.ts';
import { createGuardedDispatcher } from './guarded-dispatcher.ts';
import type { Resolver } from './webhook-resolver.ts';
import { startCountingReceiver } from './testing/counting-receiver.ts';

const receiver = await startCountingReceiver();
const port = receiver.port;
afterAll(() => receiver.close());

/** A resolver whose answers are scripted per call, as a rebinding DNS server answers. */
function scripted(...answers: string[][]): Resolver {
  let n = 0;
  return (_host, _opts, callback) => {
    const list = answers[Math.min(n++, answers.length - 1)]!;
    callback(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

async function post(url: string, guard: OutboundGuard, resolve?: Resolver): Promise<{ status?: number; error?: string }> {
  const dispatcher = createGuardedDispatcher(guard, { connectTimeoutMs: 2000, ...(resolve ? { resolve } : {}) });
  try {
    const res = await fetch(url, { method: 'POST', body: '{}', dispatcher, redirect: 'manual' });
    await res.text();
    return { status: res.status };
  } catch (err) {
    const cause = (err as Error & { cause?: Error & { code?: string } }).cause;
    return { error: `${cause?.code ?? ''} ${cause?.message ?? String(err)}` };
  } finally {
    await dispatcher.close();
  }
}

const guard = (allowNetworks: string[] = [], ownPorts: number[] = []): OutboundGuard => new OutboundGuard({ allowNetworks, ownPorts: () => ownPorts });

test('DNS rebinding: public when the subscription was checked, loopback at connect time — refused, the receiver sees nothing', async () => {
  const g = guard();
  const resolve = scripted(['127.0.0.1']); // what the name answers now; the creation check saw a public address
  receiver.hits = 0;
  const r = await post(`http://rebind.example:${port}/hook`, g, resolve);
  expect(r.error).toMatch(/INGEST_ERR_OUTBOUND_REFUSED .*rebind\.example resolves to 127\.0\.0\.1 is a loopback address/);
  expect(receiver.hits).toBe(0);
});

test('a mixed answer (one public, one private) is refused', async () => {
  receiver.hits = 0;
  const r = await post(`http://mixed.example:${port}/hook`, guard(), scripted(['203.0.113.7', '127.0.0.1']));
  expect(r.error).toMatch(/loopback/);
  expect(receiver.hits).toBe(0);
});

test('an IP literal is checked before connecting (no lookup happens for it)', async () => {
  receiver.hits = 0;
  const r = await post(`http://127.0.0.1:${port}/hook`, guard());
  expect(r.error).toMatch(/INGEST_ERR_OUTBOUND_REFUSED .*127\.0\.0\.1 is a loopback address/);
  expect(receiver.hits).toBe(0);
});

test('allow-listed: the name resolving into the allowed network is delivered', async () => {
  receiver.hits = 0;
  const r = await post(`http://intranet.example:${port}/hook`, guard(['127.0.0.0/8']), scripted(['127.0.0.1']));
  expect(r.status).toBe(200);
  expect(receiver.hits).toBe(1);
});

test("the platform's own port is refused on the connected socket even inside an allowed network", async () => {
  receiver.hits = 0;
  const r = await post(`http://own.example:${port}/hook`, guard(['127.0.0.0/8'], [port]), scripted(['127.0.0.1']));
  expect(r.error).toMatch(/own port/);
  expect(receiver.hits).toBe(0);
});
