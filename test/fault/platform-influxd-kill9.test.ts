/**
 * The platform's own influxd lives and dies with it, with a real kill -9
 * of a real platform process (`node ingest/src/main.ts`, managed influxd on a fixed port):
 * - after kill -9 of the platform, its influxd ends too (parent-death signal), instead of
 *   living on as an orphan that later dies of SIGPIPE;
 * - the restarted platform starts its own influxd on the same port and data — one influxd,
 *   never two on one WAL — and the data written before the kill is there;
 * - when influxd itself crashes, the platform restarts it, counts it in /metrics and shows it
 *   in /api/v1/status.
 */
import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@shanshui/ingest';
import { ChildPlatform } from '../support/child-platform.ts';
import { httpApi } from '../support/http-api.ts';
import { metricValue } from '../support/prometheus-text.ts';
import { tempDir } from '../support/temp-dir.ts';

const API_TOKEN = 'kill9-influxd-admin-token-0123456789';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every live influxd process running on `confPath`. */
function influxdsOn(confPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('influxd') && cmd.includes(confPath) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('kill -9 of the platform ends its influxd; the next start runs exactly one influxd on the same port and data; influxd crashes are restarted and counted', { timeout: 240_000 }, async (t) => {
  const cleanups: Array<() => Promise<void>> = [];
  t.onTestFinished(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });
  const tmp = await tempDir('shanshui-kill9-influxd-');
  cleanups.push(tmp.remove);
  const [mqttPort, httpPort, influxPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = path.join(tmp.dir, 'data');
  const confPath = path.join(dataDir, 'influxdb', 'influxd.conf');
  const platform = new ChildPlatform({
    config: { dataDir, host: '127.0.0.1', mqttPort, httpPort, influxManagedPort: influxPort, apiToken: API_TOKEN, scryptCost: 1024, logLevel: 'info' },
    logFile: path.join(tmp.dir, 'platform.log'),
  });
  cleanups.push(() => platform.close());
  const api = httpApi(platform.httpUrl, API_TOKEN);
  const managedStatus = async (): Promise<{ state: string; pid: number | null; restarts: number }> => (await api.call('GET', '/api/v1/status')).body.influx.managed;

  await platform.start();
  await expect.poll(async () => (await api.call('GET', '/readyz')).status, { timeout: 30_000 }).toBe(200);
  const first = await managedStatus();
  assert.equal(first.state, 'running');
  assert.ok(first.pid);
  assert.deepEqual(influxdsOn(confPath), [first.pid]);
  assert.equal((await api.call('POST', '/api/v1/stations', { id: 'k9-1', name: '杀进程测试站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: 'eco-env' })).status, 201);

  await platform.kill9();
  await expect.poll(() => isAlive(first.pid!), { timeout: 20_000, message: 'influxd ended with its platform' }).toBe(false);
  assert.deepEqual(influxdsOn(confPath), []);

  await platform.start();
  await expect.poll(async () => (await api.call('GET', '/readyz')).status, { timeout: 30_000 }).toBe(200);
  const second = await managedStatus();
  assert.equal(second.state, 'running');
  assert.notEqual(second.pid, first.pid);
  assert.deepEqual(influxdsOn(confPath), [second.pid], 'one influxd on the data folder');
  assert.equal((await api.call('GET', '/api/v1/stations/k9-1')).status, 200);

  // influxd itself crashes (OOM killer): restarted, counted, visible.
  process.kill(second.pid!, 'SIGKILL');
  await expect.poll(managedStatus, { timeout: 60_000 }).toMatchObject({ state: 'running', restarts: 1 });
  const third = await managedStatus();
  assert.notEqual(third.pid, second.pid);
  const metrics = await fetch(`${platform.httpUrl}/metrics`).then((r) => r.text());
  assert.equal(metricValue(metrics, 'shanshui_influxd_restarts_total'), 1);
  await expect.poll(async () => (await api.call('GET', '/readyz')).status, { timeout: 30_000 }).toBe(200);
  assert.match(await platform.logText(), /managed influxd exited unexpectedly/);

  // A clean stop takes influxd along.
  await platform.stop();
  await expect.poll(() => isAlive(third.pid!), { timeout: 20_000 }).toBe(false);
});
