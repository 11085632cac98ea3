/**
 * Health endpoints: InfluxDB is probed actively, not inferred from the last
 * write — with no readings arriving, a dead influxd would otherwise leave /healthz at "up". Liveness
 * (/livez) stays 200 through an InfluxDB outage (the spool absorbs it: no reason to restart);
 * readiness (/readyz, and /healthz as before) says 503 until InfluxDB answers again.
 * Real platform, real influxd stopped and started.
 */
import { test, afterAll, expect } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform | undefined;
afterAll(async () => {
  await tp?.close();
});

test('an InfluxDB outage with no traffic: /readyz and /healthz 503 at once, /livez 200; all 200 when it returns', async () => {
  tp = await startTestPlatform({ defaultRules: false });
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`http://127.0.0.1:${tp!.platform.httpPort}${path}`);
    return { status: res.status, body: await res.json() };
  };
  for (const p of ['/livez', '/readyz', '/healthz']) assert.equal((await get(p)).status, 200, p);

  await tp.influxd.kill(); // no reading follows: only an active probe can notice
  const ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.influx, 'down');
  const health = await get('/healthz');
  assert.equal(health.status, 503, '/healthz answers as /readyz');
  assert.equal(health.body.influx, 'down');
  const live = await get('/livez');
  assert.equal(live.status, 200, 'an InfluxDB outage is not a reason to restart the platform');
  assert.equal(live.body.ok, true);
  assert.equal((await tp.api('GET', '/api/v1/status')).body.influx.reachable, false);

  await tp.influxd.restart();
  await expect.poll(async () => (await get('/readyz')).status, { timeout: 30_000 }).toBe(200);
  assert.equal((await get('/healthz')).body.influx, 'up');
  assert.equal((await tp.api('GET', '/api/v1/status')).body.influx.reachable, true);
});
