/**
 * A port already taken (Debian's mosquitto service on 1883, another server on 8080) stops
 * `npm start` / `npm run demo` with one clear line — which port, who holds it, the setting that
 * moves it — not an EADDRINUSE stack. Real platform processes, real listeners.
 */
import { test, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startInfluxd } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function holdPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'ingest', 'src', 'main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('MQTT and HTTP ports taken: the platform names the port, its holder and the setting, without a stack', { timeout: 120_000 }, async () => {
  const { influxd, remove } = await startInfluxd();
  cleanups.push(remove);
  for (const which of ['mqtt', 'http'] as const) {
    const data = await tempDir();
    cleanups.push(() => data.remove());
    const taken = await holdPort();
    const other = await freePort();
    const res = await runMain({
      SHANSHUI_DATA_DIR: data.dir,
      SHANSHUI_HOST: '127.0.0.1',
      SHANSHUI_INFLUX_URL: influxd.url,
      SHANSHUI_MQTT_PORT: String(which === 'mqtt' ? taken : other),
      SHANSHUI_HTTP_PORT: String(which === 'http' ? taken : other),
      SHANSHUI_SCRYPT_COST: '1024',
    });
    expect(res.code, res.output).toBe(1);
    const setting = which === 'mqtt' ? 'SHANSHUI_MQTT_PORT' : 'SHANSHUI_HTTP_PORT';
    expect(res.output).toContain(`port ${taken} is already in use`);
    expect(res.output).toContain(setting);
    expect(res.output).toMatch(/held by node \(pid \d+\)/);
    expect(res.output).not.toMatch(/\n\s+at /);
    expect(res.output).not.toMatch(/"stack"/);
  }
});
