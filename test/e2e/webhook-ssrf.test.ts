/**
 * Webhook URLs cannot reach the platform's own side of the network: an
 * operator's subscription to `http://127.0.0.1:<influx>/query?q=DROP …` once ran the statement.
 * Loopback, link-local, private and unique-local addresses, the platform's own ports, and names
 * whose DNS answer lies there are refused — at creation (400 naming `url`) and again at connect
 * time (so a name that changes its answer after creation, DNS rebinding, gets nowhere), unless
 * `webhookAllowNetworks` lists the network. Redirects are never followed. Real platform, real
 * HTTP receivers.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { tempDir } from '../support/temp-dir.ts';

const SECRET = 'receiver-secret-0123456789abcdef';
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const FAST = { defaultRules: false, webhookBackoffBaseMs: 50, webhookBackoffMaxMs: 100, webhookMaxAttempts: 2, webhookTimeoutMs: 2000 };

async function platform(config: Record<string, unknown>): Promise<TestPlatform> {
  const tp = await startTestPlatform(config);
  cleanups.push(() => tp.close());
  return tp;
}

function subscription(url: string): Record<string, unknown> {
  return { name: '应急管理局', url, secret: SECRET, filters: { departments: ['eco-env'] } };
}

/** A station, a rule and one reading above it: one alert.firing for every subscription. */
async function fireAlert(tp: TestPlatform, stationId: string): Promise<void> {
  assert.equal((await tp.api('POST', '/api/v1/rules', { id: `pm25-${stationId}`, name: 'PM2.5 浓度', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 }, scope: { stations: [stationId] } })).status, 201);
  const cred = await tp.register({ id: stationId, department: 'eco-env' });
  const client = await tp.connect(cred.username, cred.password);
  await client.publishAsync(`shanshui/v1/${stationId}/up/readings`, JSON.stringify({ seq: 1, ts: Date.now() - 1000, values: { pm25: 120 } }), { qos: 1 });
}

async function deliveriesOf(tp: TestPlatform, subscriptionId: string): Promise<any[]> {
  return (await tp.api('GET', `/api/v1/webhook-deliveries?subscription=${subscriptionId}`)).body.items;
}

test('creation: loopback, link-local, private, unique-local and names resolving there are refused with 400 naming url', async () => {
  const tp = await platform({ ...FAST, webhookAllowNetworks: [] });
  const refused = [
    'http://127.0.0.1:8086/query?db=shanshui&q=DROP%20MEASUREMENT%20air',
    'http://127.3.4.5/',
    'http://localhost:8086/query',
    'http://[::1]:8086/',
    'http://[::ffff:127.0.0.1]:8086/',
    'http://0.0.0.0:8086/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://192.168.1.10/hook',
    'http://100.64.0.1/hook',
    'http://[fd12:3456::1]/hook',
    'http://[fe80::1]/hook',
    'https://2130706433/hook', // 127.0.0.1 as one decimal number
  ];
  for (const url of refused) {
    const res = await tp.api('POST', '/api/v1/subscriptions', subscription(url));
    assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, /url: .*(loopback|link-local|private|unique-local|unspecified|shared|cloud metadata)/, url);
    // A metadata service is refused even when allow-listed: its refusal does not point at the setting.
    if (!url.includes('169.254.169.254')) assert.match(res.body.error.message, /SHANSHUI_WEBHOOK_ALLOW_NETWORKS/, url);
  }
  assert.equal((await tp.api('GET', '/api/v1/subscriptions')).body.items.length, 0, 'nothing stored');
  assert.equal((await tp.api('POST', '/api/v1/subscriptions', subscription('https://203.0.113.7/hook'))).status, 201, 'a public address is fine');
});

test('the allow-list admits intranet receivers — but never the platform’s own ports', async () => {
  const r = await startWebhookReceiver(SECRET);
  cleanups.push(r.close);
  const tp = await platform({ ...FAST, webhookAllowNetworks: ['127.0.0.0/8'] });
  const own = [tp.platform.httpPort, tp.platform.mqttPort, tp.influxd.httpPort];
  for (const port of own) {
    const res = await tp.api('POST', '/api/v1/subscriptions', subscription(`http://127.0.0.1:${port}/query?q=DROP%20DATABASE%20shanshui`));
    assert.equal(res.status, 400, `port ${port}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, /url: .*the platform's own port/);
  }
  assert.equal((await tp.api('POST', '/api/v1/subscriptions', subscription(r.url))).status, 201);
  await fireAlert(tp, 'ssrf-allowed');
  await eventually(() => r.accepted().length === 1, 'the allow-listed receiver gets the alert');
  assert.ok(r.accepted()[0]!.signatureValid);
});

test('connect time: a subscription whose address became forbidden (as after DNS rebinding) never reaches its receiver', async () => {
  const r = await startWebhookReceiver(SECRET);
  cleanups.push(r.close);
  const data = await tempDir();
  cleanups.push(data.remove);
  // Accepted while the allow-list admitted 127.0.0.0/8 …
  const before = await startTestPlatform({ ...FAST, dataDir: data.dir, webhookAllowNetworks: ['127.0.0.0/8'] });
  const byAddress = (await before.api('POST', '/api/v1/subscriptions', subscription(r.url))).body.subscription.id as string;
  const byName = (await before.api('POST', '/api/v1/subscriptions', subscription(r.url.replace('127.0.0.1', 'localhost')))).body.subscription.id as string;
  await before.close();
  // … the same stored URLs now point where they may not go.
  const tp = await platform({ ...FAST, dataDir: data.dir, webhookAllowNetworks: [] });
  await fireAlert(tp, 'ssrf-rebound');
  for (const id of [byAddress, byName]) {
    const dead = await eventually(async () => (await deliveriesOf(tp, id)).find((d) => d.state === 'dead'), `delivery of ${id} dead`);
    assert.equal(dead.lastStatus, null, 'no HTTP exchange happened');
    assert.match(dead.lastError, /loopback/);
  }
  assert.equal(r.received.length, 0, 'the receiver saw no request');
});

test('redirects are not followed: a 302 to another receiver is a failed attempt, and the target sees nothing', async () => {
  const target = await startWebhookReceiver(SECRET);
  cleanups.push(target.close);
  let hits = 0;
  const redirector = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(302, { location: `${target.url}/from-redirect` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => redirector.close(() => resolve())));
  const tp = await platform({ ...FAST, webhookAllowNetworks: ['127.0.0.0/8'] });
  const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`;
  const id = (await tp.api('POST', '/api/v1/subscriptions', subscription(url))).body.subscription.id as string;
  await fireAlert(tp, 'ssrf-redirect');
  const dead = await eventually(async () => (await deliveriesOf(tp, id)).find((d) => d.state === 'dead'), 'delivery dead');
  assert.equal(dead.lastStatus, 302);
  assert.ok(hits >= 1);
  assert.equal(target.received.length, 0, 'the redirect target got nothing');
});

test('every InfluxDB the platform writes to is its own: a write node of SHANSHUI_INFLUX_URLS is refused as a receiver, at creation and at connect time', async () => {
  // A second write node of the time-series cluster: an HTTP server answering the v1 API's writes; it records every request.
  const seen: string[] = [];
  const node = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/query')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => node.close(() => resolve())));
  const nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
  const attack = `${nodeUrl}/query?q=DROP%20DATABASE%20shanshui&from=webhook`;
  const data = await tempDir();
  cleanups.push(data.remove);
  // Stored while the node was not yet one of the platform's write targets …
  const before = await startTestPlatform({ ...FAST, dataDir: data.dir, webhookAllowNetworks: ['127.0.0.0/8'] });
  const stored = (await before.api('POST', '/api/v1/subscriptions', subscription(attack))).body.subscription.id as string;
  await before.close();
  // … and refused once it is, though 127.0.0.0/8 is allow-listed.
  const tp = await platform({ ...FAST, dataDir: data.dir, webhookAllowNetworks: ['127.0.0.0/8'], influxUrls: [nodeUrl] });
  const res = await tp.api('POST', '/api/v1/subscriptions', subscription(attack));
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.match(res.body.error.message, /url: .*the platform's own (port|InfluxDB)/);
  await fireAlert(tp, 'ssrf-write-node');
  const dead = await eventually(async () => (await deliveriesOf(tp, stored)).find((d) => d.state === 'dead'), 'delivery to the write node dead');
  assert.equal(dead.lastStatus, null, 'no HTTP exchange happened');
  await eventually(() => seen.some((s) => s.startsWith('POST /write')), 'the node is a write target: the reading went to it');
  assert.deepEqual(seen.filter((s) => s.includes('from=webhook')), [], 'no webhook reached the write node');
});
