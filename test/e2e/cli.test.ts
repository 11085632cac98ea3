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

test('cli: a child station behind a gateway — station add --gateway, station update --gateway / --detach; a gateway of another department refused with the reason', async () => {
  const add = (id: string, department: string, ...extra: string[]) =>
    cli('station', 'add', '--id', id, '--name', `测站 ${id}`, '--domain', 'reservoir', '--lat', '23.7', '--lon', '113.7', '--region', '440117', '--department', department, ...extra);
  assert.equal((await add('cli-gw-1', 'water')).code, 0);
  assert.equal((await add('cli-gw-2', 'water')).code, 0);
  const child = await add('cli-rtu-1', 'water', '--gateway', 'cli-gw-1');
  assert.equal(child.code, 0, child.stderr);
  assert.equal(JSON.parse(child.stdout).station.gatewayId, 'cli-gw-1');
  const moved = await cli('station', 'update', 'cli-rtu-1', '--gateway', 'cli-gw-2', '--name', '流溪河 1 号测站');
  assert.equal(moved.code, 0, moved.stderr);
  assert.deepEqual({ gatewayId: JSON.parse(moved.stdout).station.gatewayId, name: JSON.parse(moved.stdout).station.name }, { gatewayId: 'cli-gw-2', name: '流溪河 1 号测站' });
  const detached = await cli('station', 'update', 'cli-rtu-1', '--detach');
  assert.equal(detached.code, 0, detached.stderr);
  assert.equal(JSON.parse(detached.stdout).station.gatewayId, undefined);
  assert.equal((await add('cli-eco-gw', 'eco-env')).code, 0);
  const crossDept = await cli('station', 'update', 'cli-rtu-1', '--gateway', 'cli-eco-gw');
  assert.equal(crossDept.code, 2);
  assert.match(crossDept.stderr, /400 API_ERR_GATEWAY_INVALID .*department eco-env/);
  const nothing = await cli('station', 'update', 'cli-rtu-1');
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to change/);
});
