/**
 * InfluxDB 1.x credentials travel in an Authorization header, never in the URL: a URL ends up in
 * proxy and access logs. Against a real HTTP server recording what reaches it; a real influxd with
 * authentication on takes them so in test/fault/managed-influxd.test.ts (the managed users).
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxHttp } from './influx-http.ts';

const seen: Array<{ url: string; authorization: string | undefined }> = [];
const server = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
  req.resume();
  req.on('end', () => {
    if (req.url?.startsWith('/query')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
    else res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

test('user and password go in a Basic Authorization header on writes and queries, not in the URL', async () => {
  seen.length = 0;
  const influx = new InfluxHttp({ url, database: 'shanshui', username: 'shanshui', password: 'pa:ss wörd' });
  await influx.write('air,station=a pm25=1 1');
  await influx.query('SELECT 1');
  assert.equal(seen.length, 2);
  for (const r of seen) {
    assert.doesNotMatch(r.url, /[?&](u|p)=/, r.url);
    assert.doesNotMatch(r.url, /pa/, r.url);
    assert.equal(r.authorization, `Basic ${Buffer.from('shanshui:pa:ss wörd').toString('base64')}`);
  }
});

test('a token (InfluxDB 2.x/3.x) is sent as it was; without credentials no Authorization header', async () => {
  seen.length = 0;
  await new InfluxHttp({ url, database: 'shanshui', token: 'tok-1' }).write('air,station=a pm25=1 1');
  await new InfluxHttp({ url, database: 'shanshui' }).write('air,station=a pm25=1 1');
  assert.deepEqual(seen.map((r) => r.authorization), ['Token tok-1', undefined]);
});
