/** The CLI as a technician runs it: a child process against a real platform. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

const cliPath = fileURLToPath(new URL('../../ingest/src/cli.ts', import.meta.url));
let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
});
after(async () => {
  await tp?.close();
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, '--api', `http://127.0.0.1:${tp.platform.httpPort}`, '--token', tp.platform.apiToken, ...args],
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('cli: station add prints credentials once; they connect to the broker', async () => {
  const res = await cli('station', 'add', '--id', 'rsv-liuxihe', '--name', '流溪河水库', '--domain', 'reservoir', '--lat', '23.76', '--lon', '113.78', '--region', '440117', '--department', 'water', '--attr', 'floodLimitLevel=233.5');
  assert.equal(res.code, 0, res.stderr);
  const body = JSON.parse(res.stdout);
  assert.equal(body.station.attributes.floodLimitLevel, 233.5);
  assert.match(res.stderr, /shown only once/);
  const client = await tp.connect(body.credentials.username, body.credentials.password);
  assert.ok(client.connected);
  const show = JSON.parse((await cli('station', 'show', 'rsv-liuxihe')).stdout);
  assert.equal(show.station.name, '流溪河水库');
});

test('cli: bad input gets a specific reason and exit code 2', async () => {
  const res = await cli('station', 'add', '--id', 'x1', '--name', 'n', '--domain', 'volcano', '--lat', '23', '--lon', '113', '--region', '4401', '--department', 'eco-env');
  assert.equal(res.code, 2);
  assert.match(res.stderr, /400 API_ERR_VALIDATION/);
  assert.match(res.stderr, /domain/);
  assert.match(res.stderr, /region/);
  const missing = await cli('station', 'add', '--id', 'x2');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--lat is required/);
  const bad = await cli('--token', 'wrong-token-wrong-token', 'station', 'list');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /401 API_ERR_UNAUTHORIZED/);
});
