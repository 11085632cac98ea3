/** The CLI as a technician runs it: a child process against a real platform. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestPlatform } from '../support/test-platform.ts';
import { runPlatformCli } from '../support/platform-cli.ts';
import type { CliResult } from '../support/platform-cli.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const cli = (...args: string[]): Promise<CliResult> => runPlatformCli(tp, ...args);

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
  const updated = await cli('station', 'update', 'rsv-liuxihe', '--attr', 'designFloodLevel=237.6');
  assert.equal(updated.code, 0, updated.stderr);
  assert.deepEqual(JSON.parse(updated.stdout).station.attributes, { floodLimitLevel: 233.5, designFloodLevel: 237.6 }, '--attr keeps the other attributes');
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
  // A child has no MQTT session of its own (its CONNECT is refused): the hint says where its readings come from instead.
  assert.doesNotMatch(child.stderr, /Publish readings to/);
  assert.match(child.stderr, /through its gateway cli-gw-1/);
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

test('cli: the technician flow — station token for the gateway, the agent provisions with it once; station config publishes a file, refused with the reason when wrong', async () => {
  const add = await cli('station', 'add', '--id', 'pump-cli-01', '--name', '石门泵站', '--domain', 'reservoir', '--lat', '23.2', '--lon', '113.4', '--region', '440111', '--department', 'water');
  assert.equal(add.code, 0, add.stderr);
  const tok = await cli('station', 'token', 'pump-cli-01', '--ttl', '600');
  assert.equal(tok.code, 0, tok.stderr);
  const { token, expiresAt } = JSON.parse(tok.stdout) as { token: string; expiresAt: string };
  assert.ok(Date.parse(expiresAt) - Date.now() <= 600_000 && Date.parse(expiresAt) > Date.now());
  assert.match(tok.stderr, /npm run agent -- provision --server .* --token /);
  const provision = async () => (await fetch(`http://127.0.0.1:${tp.platform.httpPort}/api/v1/provision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).status;
  assert.equal(await provision(), 201, 'the token provisions the gateway');
  assert.equal(await provision(), 410, 'once');

  const dir = await mkdtemp(path.join(tmpdir(), 'cli-config-'));
  try {
    const file = path.join(dir, 'pump.json');
    await writeFile(file, JSON.stringify({ version: 1, sources: [{ kind: 'sl651', port: 9651 }] }));
    // No agent runs for this station: published, not applied — exit 4 once --wait is over, not 0.
    const put = await cli('station', 'config', 'pump-cli-01', '--file', file, '--wait', '1');
    assert.equal(put.code, 4, put.stderr);
    assert.match(put.stderr, /published, NOT yet applied: the agent has not answered within 1 s/);
    assert.equal(JSON.parse(put.stdout).config.version, 1);
    const shown = await cli('station', 'config', 'pump-cli-01');
    assert.equal(shown.code, 4, 'shown while still pending: exit 4 too');
    assert.equal(JSON.parse(shown.stdout).config.sources[0].kind, 'sl651');
    await writeFile(file, JSON.stringify({ version: 2, sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://10.0.0.20:4840', items: [{ nodeId: 'ns=2;s=Pm', metric: 'pm25' }] }] }));
    const wrong = await cli('station', 'config', 'pump-cli-01', '--file', file);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /400 API_ERR_VALIDATION.*pm25/);
    await writeFile(file, '{ not json');
    const broken = await cli('station', 'config', 'pump-cli-01', '--file', file);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /--file .*pump\.json: .*JSON/);
    // A --wait it cannot read is refused before anything is published.
    await writeFile(file, JSON.stringify({ version: 5, sources: [{ kind: 'sl651', port: 9651 }] }));
    for (const wait of ['soon', '--wait=-1']) {
      const bad = await cli('station', 'config', 'pump-cli-01', '--file', file, ...(wait.startsWith('--') ? [wait] : ['--wait', wait]));
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /--wait must be/);
    }
    assert.equal(JSON.parse((await cli('station', 'config', 'pump-cli-01')).stdout).config.version, 1, 'nothing published');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cli: command send to a gateway that is not connected — queued, not carried out: exit 4 when --wait is over, not 0', async () => {
  const add = await cli('station', 'add', '--id', 'sluice-cli-01', '--name', '北闸', '--domain', 'reservoir', '--lat', '23.2', '--lon', '113.4', '--region', '440111', '--department', 'water');
  assert.equal(add.code, 0, add.stderr);
  const config = {
    version: 1,
    sources: [{ kind: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=1;s=Gate1.Level', metric: 'water_level' }], commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } }] }],
  };
  assert.equal((await tp.api('PUT', '/api/v1/stations/sluice-cli-01/config', config)).status, 200);
  const sent = await cli('command', 'send', 'sluice-cli-01', 'open_gate', '--args', '{"value":true}', '--wait', '1');
  assert.equal(sent.code, 4, sent.stderr);
  assert.match(sent.stderr, /accepted \(pending\), NOT yet carried out: sluice-cli-01 has not answered within 1 s/);
  assert.equal(JSON.parse(sent.stdout).command.state, 'pending');
  const badWait = await cli('command', 'send', 'sluice-cli-01', 'open_gate', '--args', '{"value":true}', '--wait', 'later');
  assert.equal(badWait.code, 2);
  assert.match(badWait.stderr, /--wait must be a number/);
  assert.equal((await tp.api('GET', '/api/v1/stations/sluice-cli-01/commands')).body.items.length, 1, 'a refused --wait sends nothing');
});

test('cli: a list page prints the command for the next one — with the same filters and page size — and that command, run as printed, gives the rest', async () => {
  for (const id of ['cli-page-1', 'cli-page-2', 'cli-page-3']) {
    const r = await cli('station', 'add', '--id', id, '--name', id, '--domain', 'geohazard', '--lat', '23.5', '--lon', '113.5', '--region', '440118', '--department', 'natural-resources');
    assert.equal(r.code, 0, r.stderr);
  }
  // Another domain's station, which the next page must not show.
  assert.equal((await cli('station', 'add', '--id', 'cli-page-x', '--name', 'x', '--domain', 'noise', '--lat', '23.5', '--lon', '113.5', '--region', '440118', '--department', 'eco-env')).code, 0);
  const first = await cli('station', 'list', '--domain', 'geohazard', '--limit', '2');
  assert.equal(first.code, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { items: unknown[] }).items.length, 2);
  const hint = /more: the next page is npm run cli -- (.+)$/m.exec(first.stderr)?.[1];
  assert.ok(hint, first.stderr);
  const next = await cli(...hint.split(' '));
  assert.equal(next.code, 0, next.stderr);
  const rest = (JSON.parse(next.stdout) as { items: { id: string; domain: string }[]; next: string | null });
  assert.deepEqual(rest.items.map((s) => s.domain), ['geohazard']);
  assert.equal(rest.next, null);
});
