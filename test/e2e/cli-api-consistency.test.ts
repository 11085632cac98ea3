/**
 * CLI and API consistency: real CLI processes (`npm run …`) against a
 * real platform, curl-like requests, the log a person reads.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PUBLIC_MQTT = 'mqtts://iot.shanshui.example.cn:8883';
let tp: TestPlatform;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) logLines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  tp = await startTestPlatform({ publicMqttUrl: PUBLIC_MQTT }, { logger: pino({ level: 'info' }, stream) });
});
afterAll(async () => {
  await tp?.close();
});

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const cliEnv = (): Record<string, string> => ({ SHANSHUI_CLI_API: `http://127.0.0.1:${tp.platform.httpPort}`, SHANSHUI_CLI_TOKEN: tp.platform.apiToken });

test('npm run agent -- --help and npm run cli -- --help exit 0 with usage', async () => {
  const agent = await run('npm', ['run', '--silent', 'agent', '--', '--help']);
  expect(agent.code, agent.stderr).toBe(0);
  expect(agent.stdout).toMatch(/npm run agent -- provision --server/);
  const cli = await run('npm', ['run', '--silent', 'cli', '--', '--help']);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/station add --id ID/);
});

test('station add prints the platform’s public MQTT URL (SHANSHUI_PUBLIC_MQTT_URL), not mqtt://HOST:1883', async () => {
  const res = await run(process.execPath, ['ingest/src/cli.ts', 'station', 'add', '--id', 'air-pub-001', '--name', '公网地址测试站', '--domain', 'air', '--lat', '23.1', '--lon', '113.3', '--region', '440106', '--department', 'eco-env'], cliEnv());
  expect(res.code, res.stderr).toBe(0);
  const body = JSON.parse(res.stdout) as { credentials: { mqtt: Record<string, string> } };
  expect(body.credentials.mqtt['tcp']).toBe(PUBLIC_MQTT);
  expect(JSON.stringify(body)).not.toMatch(/HOST/);
  expect(res.stderr).toContain(PUBLIC_MQTT);
});

test('a POST without a JSON content type (curl -d) gets 415 with the header to add', async () => {
  const res = await fetch(`http://127.0.0.1:${tp.platform.httpPort}/api/v1/stations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tp.platform.apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: JSON.stringify({ id: 'x' }),
  });
  expect(res.status).toBe(415);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('API_ERR_UNSUPPORTED_MEDIA_TYPE');
  expect(body.error.message).toMatch(/-H 'content-type: application\/json'/);
});

test('one log line per HTTP request, with method, path, status and time', async () => {
  const before = logLines.length;
  await tp.api('GET', '/api/v1/stations?limit=1');
  const linesOf = (): Array<Record<string, unknown>> => logLines.slice(before).filter((l) => typeof l['msg'] === 'string' && /stations\?limit=1/.test(String(l['msg']) + String(l['url'] ?? '')));
  // The line is written after the answer: wait for it, then check there is only one.
  await expect.poll(() => linesOf().length, { timeout: 30_000 }).toBeGreaterThan(0);
  const lines = linesOf();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ method: 'GET', status: 200 });
  expect(lines[0]!['ms']).toBeTypeOf('number');
});

test("the README's readings examples (relative dates, as bash runs them) return the reading just published", async () => {
  const cred = await tp.register({ id: 'air-th-001' });
  const client = await tp.connect(cred.username, cred.password);
  await client.publishAsync('shanshui/v1/air-th-001/up/readings', JSON.stringify({ seq: 1, ts: Date.now() - 60_000, values: { pm25: 35.2, pm10: { v: 61, q: 'N' } } }), { qos: 1 });
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n').filter((l) => l.startsWith('curl -s -H "Authorization: Bearer $T" "$API/stations/air-th-001/readings?'));
  expect(lines).toHaveLength(2);
  const env = { T: tp.platform.apiToken, API: `http://127.0.0.1:${tp.platform.httpPort}/api/v1` };
  await expect
    .poll(async () => {
      const out = await run('bash', ['-c', lines[0]!.replace(/ \| jq$/, '')], env);
      return (JSON.parse(out.stdout) as { items: Array<{ values: { pm25: { v: number } } }> }).items.map((i) => i.values.pm25.v);
    }, { timeout: 15_000 })
    .toEqual([35.2]);
  const windows = await run('bash', ['-c', lines[1]!.replace(/ \| jq$/, '')], env);
  expect((JSON.parse(windows.stdout) as { items: unknown[] }).items.length).toBeGreaterThan(0);
});

test('an admin lifts an MQTT lockout with the CLI (audited); the device connects again at once', { timeout: 60_000 }, async () => {
  const own = await startTestPlatform({ authMaxFailures: 3, authFailureDelayMs: 0 });
  try {
    const cred = await own.register({ id: 'air-lock-001' });
    for (let i = 0; i < 3; i++) await expect(own.connect(cred.username, 'wrong-secret')).rejects.toThrow();
    await expect(own.connect(cred.username, cred.password), 'locked out even with the right secret').rejects.toThrow();
    const lift = await run(process.execPath, ['ingest/src/cli.ts', 'lockout', 'lift', '--address', '127.0.0.1', '--device', 'air-lock-001'], {
      SHANSHUI_CLI_API: `http://127.0.0.1:${own.platform.httpPort}`,
      SHANSHUI_CLI_TOKEN: own.platform.apiToken,
    });
    expect(lift.code, lift.stderr).toBe(0);
    expect(JSON.parse(lift.stdout)).toEqual({ lifted: { api: false, mqtt: 1 } });
    const client = await own.connect(cred.username, cred.password);
    expect(client.connected).toBe(true);
    const audit = await own.api('GET', '/api/v1/audit?limit=5');
    expect(audit.body.items.some((e: { route: string; targetId?: string; target?: string }) => e.route === '/api/v1/lockouts/lift')).toBe(true);
  } finally {
    await own.close();
  }
});
