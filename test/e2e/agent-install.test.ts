/**
 * The one-file install: `npm run agent:build` for linux-x64, the .deb unpacked into
 * a temporary root (`dpkg -x`, as `dpkg --root` would lay it out), and the installed
 * `shanshui-agent` run from there with no repository, no npm and no system Node on its PATH:
 * `--help`, `provision --server … --token …` against a real platform, `run` with a Modbus RTU
 * register map pushed as remote config (a ServerSerial slave on a socat pseudo-terminal pair —
 * the serial addon loads from the package's own prebuilt binary) and an OPC-UA source (node-opcua
 * from its own lazily loaded chunk), readings stored in InfluxDB.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRestartablePlatform } from '../support/restartable-platform.ts';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { GATEWAY_ENV, buildAndUnpackAgent, spawnAgent, startSoilBus } from '../support/agent-package.ts';
import type { Cleanups } from '../support/agent-package.ts';
import { NS, freePort, startTestOpcuaServer } from '@shanshui/edge-agent/testing';

const run = promisify(execFile);
let tp: RestartablePlatform;
const cleanups: Cleanups = [];
let root: string;
let work: string;

beforeAll(async () => {
  const tmp = await tempDir('shanshui-install-');
  cleanups.push(tmp.remove);
  ({ root, work } = await buildAndUnpackAgent('x64', tmp.dir));
  tp = await startRestartablePlatform();
}, 300_000);
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  await tp?.close();
});

const agentBin = (): string => path.join(root, 'usr', 'bin', 'shanshui-agent');

test('the package lays out the program, its own Node runtime and a hardened systemd unit', () => {
  for (const f of ['usr/bin/shanshui-agent', 'usr/lib/shanshui-agent/lib/node', 'usr/lib/shanshui-agent/lib/shanshui-agent.js', 'lib/systemd/system/shanshui-agent.service']) {
    assert.ok(existsSync(path.join(root, f)), f);
  }
  const unit = readFileSync(path.join(root, 'lib/systemd/system/shanshui-agent.service'), 'utf8');
  for (const line of ['User=shanshui-agent', 'StateDirectory=shanshui-agent', 'Restart=on-failure', 'StandardOutput=journal', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ExecStart=/usr/bin/shanshui-agent run']) {
    assert.ok(unit.split('\n').includes(line), line);
  }
});

test('installed from the .deb with no repository and no npm: --help, provision, run; a Modbus RTU register map and an OPC-UA item pushed as remote config land in InfluxDB', { timeout: 180_000 }, async () => {
  const help = await run(agentBin(), ['--help'], { cwd: work, env: GATEWAY_ENV });
  assert.match(help.stdout, /provision --server/);
  const dir = path.join(work, 'state');
  const token = await tp.bootstrapToken({ id: 'gw-pi-01', domain: 'soil', department: 'agri' });
  const provision = await run(agentBin(), ['provision', '--server', tp.httpUrl, '--token', token, '--dir', dir], { cwd: work, env: GATEWAY_ENV });
  assert.match(provision.stdout, /Provisioned station gw-pi-01/);
  // The hint names a command that works here: the installed program itself.
  const hint = /Start the agent: (.*)$/m.exec(provision.stdout)?.[1];
  assert.equal(hint, `${agentBin()} run --dir ${dir}`);

  // 31.2 % volumetric moisture, −4.0 °C.
  const modbus = await startSoilBus({ moisture: 312, temperature: 0xffd8 }, { timeoutMs: 1000, pollIntervalMs: 300 }, cleanups);
  const opcua = await startTestOpcuaServer({ port: await freePort(), pkiDir: path.join(work, 'opcua-server-pki') });
  cleanups.push(() => opcua.shutdown());
  const put = await tp.api.call('PUT', '/api/v1/stations/gw-pi-01/config', {
    version: 1,
    sources: [modbus, { kind: 'opcua', endpointUrl: opcua.endpointUrl, items: [{ nodeId: `${NS};s=Pump1.Flow`, metric: 'ec', samplingIntervalMs: 100 }] }],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));

  const [command, ...args] = hint!.split(' ');
  const agent = spawnAgent(command!, args, { cwd: work, env: GATEWAY_ENV }, cleanups);
  const row = await eventually(async () => {
    const r = await tp.query(`SELECT last(moisture_vol) AS m, last(temperature) AS t, last(ec) AS ec FROM soil WHERE station = 'gw-pi-01'`);
    return r.length === 1 && r[0]!['m'] !== null && r[0]!['t'] !== null && r[0]!['ec'] !== null ? r[0] : undefined;
  }, `readings from the installed agent (stderr: ${agent.stderr().slice(-500)})`, 90_000);
  assert.equal(row['m'], 31.2);
  assert.equal(row['t'], -4);
  assert.equal(row['ec'], 10); // the server's initial Pump1.Flow
  assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
});
