/**
 * Test support against a real platform process: tests run in parallel, so a free port a test
 * picked may be taken before its platform binds it. The first run then starts again on other
 * free ports; any other exit before /healthz names its cause (the last lines the platform logged).
 */
import { afterEach, expect, test } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '@shanshui/ingest';
import { startInfluxd } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ChildPlatform } from '../support/child-platform.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function occupiedPort(): Promise<number> {
  // It accepts and never answers (the start's /healthz polls reach it until the platform moves).
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function childOn(httpPort: number, extra: { influxUrl?: string } = {}): Promise<ChildPlatform> {
  const tmp = await tempDir('shanshui-child-start-');
  cleanups.push(tmp.remove);
  const platform = new ChildPlatform({
    config: { dataDir: path.join(tmp.dir, 'data'), host: '127.0.0.1', mqttPort: await freePort(), httpPort, apiToken: 'child-start-admin-token-0123456789', scryptCost: 1024, logLevel: 'warn', ...extra },
    logFile: path.join(tmp.dir, 'platform.log'),
  });
  cleanups.push(() => platform.close());
  return platform;
}

test('a first run whose HTTP port was taken meanwhile starts again on other free ports', { timeout: 120_000 }, async () => {
  const influxd = await startInfluxd();
  cleanups.push(influxd.remove);
  const taken = await occupiedPort();
  const platform = await childOn(taken, { influxUrl: influxd.influxd.url });
  await platform.start();
  expect(new URL(platform.httpUrl).port).not.toBe(String(taken));
  expect((await fetch(`${platform.httpUrl}/healthz`)).status).toBeLessThan(600);
  expect(platform.starts).toBe(2);
});

test('a run that exits before /healthz says why: the last lines it logged', { timeout: 120_000 }, async () => {
  // An InfluxDB URL that is not one: the platform refuses its configuration and exits.
  const platform = await childOn(await freePort(), { influxUrl: 'not a url' });
  await expect(platform.start()).rejects.toThrow(/exited \(\d+\) before it answered \/healthz[\s\S]*last lines logged:[\s\S]*SHANSHUI_INFLUX_URL/);
  expect(platform.starts).toBe(1);
});
