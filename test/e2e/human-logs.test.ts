/**
 * Logs a person reads: human lines when stdout is a terminal (a real pseudo-terminal
 * through script(1)), JSON otherwise; the demo's commands to try as plain text a shell takes;
 * node-opcua's own lines through pino.
 */
import { test, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { make_warningLog } from 'node-opcua-debug';
import { routeOpcuaLogs } from '@shanshui/edge-agent';
import { startInfluxd } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function heldPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Runs `args` to its exit (or until `until` matches the output, then SIGINT); stdout and stderr together. */
function run(cmd: string, args: string[], env: Record<string, string>, until?: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (until?.test(output)) child.kill('SIGINT');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

async function platformEnv(): Promise<Record<string, string>> {
  const { influxd, remove } = await startInfluxd();
  cleanups.push(remove);
  const data = await tempDir();
  cleanups.push(() => data.remove());
  return { SHANSHUI_DATA_DIR: data.dir, SHANSHUI_HOST: '127.0.0.1', SHANSHUI_INFLUX_URL: influxd.url, SHANSHUI_HTTP_PORT: '0', SHANSHUI_SCRYPT_COST: '1024' };
}

test('npm start logs human lines at a terminal and JSON into a pipe', { timeout: 120_000 }, async () => {
  const env = { ...(await platformEnv()), SHANSHUI_MQTT_PORT: String(await heldPort()) };
  const main = path.join(ROOT, 'ingest', 'src', 'main.ts');
  // script(1) gives the program a real pseudo-terminal as stdout.
  const atTerminal = await run('script', ['-qfec', `${process.execPath} ${main}`, '/dev/null'], env);
  expect(atTerminal).toMatch(/FATAL/);
  expect(atTerminal).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
  expect(atTerminal).toMatch(/is already in use/);
  expect(atTerminal).not.toMatch(/\{"level":/);
  const piped = await run(process.execPath, [main], env);
  const lines = piped.trim().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
});

test('npm run demo prints its commands to try as plain text lines a shell takes', { timeout: 120_000 }, async () => {
  const env = { ...(await platformEnv()), SHANSHUI_MQTT_PORT: '0', SHANSHUI_DEMO_STATIONS: '2', SHANSHUI_LOG_FORMAT: 'json' };
  const out = await run(process.execPath, [path.join(ROOT, 'scripts', 'demo.ts')], env, /commands to try:\n(  .*\n)+\n/);
  const block = /commands to try:\n((?: {2}.*\n)+)/.exec(out);
  expect(block, out.slice(-2000)).not.toBeNull();
  const commands = block![1]!.trim().split('\n').map((l) => l.trim());
  expect(commands.some((c) => /^curl -s -H "Authorization: Bearer \$\(cat .*admin-token\)" http:\/\/localhost:\d+\/api\/v1\/stations$/.test(c))).toBe(true);
  for (const c of commands) expect(c).not.toMatch(/\\"/);
});

test("node-opcua's own warnings go through the agent's pino logger, not the console", () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }));
  routeOpcuaLogs(logger);
  make_warningLog('test')('the server certificate will expire in', 3, 'days');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 40, component: 'opcua', msg: 'the server certificate will expire in 3 days' });
});
