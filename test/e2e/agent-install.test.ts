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
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRestartablePlatform } from '../support/restartable-platform.ts';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { REPO_ROOT } from '../support/agent-cli.ts';
import { startPtyPair, startRtuSlave, NS, freePort, startTestOpcuaServer } from '@shanshui/edge-agent/testing';

const run = promisify(execFile);
let tp: RestartablePlatform;
const cleanups: Array<() => Promise<unknown>> = [];
let root: string;
let work: string;

/** A gateway's environment: system tools only — no node_modules/.bin, no Node, no npm. */
const GATEWAY_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' };

beforeAll(async () => {
  const tmp = await tempDir('shanshui-install-');
  cleanups.push(tmp.remove);
  const out = path.join(tmp.dir, 'dist');
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-agent.ts'), '--arch=x64', '--no-tarball', `--out=${out}`], { cwd: REPO_ROOT });
  const deb = readdirSync(out).find((f) => f.endsWith('_amd64.deb'));
  assert.ok(deb, 'the x64 .deb was built');
  root = path.join(tmp.dir, 'root');
  await run('dpkg', ['-x', path.join(out, deb), root]);
  work = path.join(tmp.dir, 'work');
  await run('mkdir', ['-p', work]);
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

  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const slave = await startRtuSlave(pty.b);
  cleanups.push(slave.close);
  slave.bank.setWords('input', 1, 0, [312]); // 31.2 % volumetric moisture
  slave.bank.setWords('input', 2, 4, [0xffd8]); // −4.0 °C, int16
  const opcua = await startTestOpcuaServer({ port: await freePort(), pkiDir: path.join(work, 'opcua-server-pki') });
  cleanups.push(() => opcua.shutdown());
  const put = await tp.api.call('PUT', '/api/v1/stations/gw-pi-01/config', {
    version: 1,
    sources: [
      {
        kind: 'modbus',
        transport: { type: 'rtu', device: pty.a, baudRate: 9600 },
        timeoutMs: 1000,
        groups: [
          { slaveId: 1, pollIntervalMs: 300, points: [{ metric: 'moisture_vol', table: 'input', address: 0, scale: 0.1 }] },
          { slaveId: 2, pollIntervalMs: 300, points: [{ metric: 'temperature', table: 'input', address: 4, type: 'int16', scale: 0.1 }] },
        ],
      },
      { kind: 'opcua', endpointUrl: opcua.endpointUrl, items: [{ nodeId: `${NS};s=Pump1.Flow`, metric: 'ec', samplingIntervalMs: 100 }] },
    ],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));

  const [command, ...args] = hint!.split(' ');
  const child: ChildProcess = spawn(command!, args, { cwd: work, env: GATEWAY_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const row = await eventually(async () => {
    const r = await tp.query(`SELECT last(moisture_vol) AS m, last(temperature) AS t, last(ec) AS ec FROM soil WHERE station = 'gw-pi-01'`);
    return r.length === 1 && r[0]!['m'] !== null && r[0]!['t'] !== null && r[0]!['ec'] !== null ? r[0] : undefined;
  }, `readings from the installed agent (stderr: ${stderr.slice(-500)})`, 90_000);
  assert.equal(row['m'], 31.2);
  assert.equal(row['t'], -4);
  assert.equal(row['ec'], 10); // the server's initial Pump1.Flow
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr.slice(-2000));
});
