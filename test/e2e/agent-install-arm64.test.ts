/**
 * The "done when" on a Raspberry-Pi-class gateway: the linux-arm64 .deb of
 * `npm run agent:build` — one file — unpacked into a temporary root (`dpkg -x`), and the arm64
 * program inside it run under user-mode emulation (Debian's qemu-user, with the arm64 C and C++
 * runtimes of libc6-arm64-cross / libstdc++6-arm64-cross as its /lib): the registry's arm64
 * Node binary, the bundle, and the serial port's arm64 prebuilt addon, with no repository, no
 * npm and no Node of the host on its PATH. It provisions with a one-time token (a second use is
 * refused), then reads two Modbus RS-485 sensors (slave ids 1 and 2 of a ServerSerial on a socat
 * pseudo-terminal pair) through a register map pushed as remote config; their readings land in
 * InfluxDB. The x64 package, its launcher script and systemd unit: agent-install.test.ts.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRestartablePlatform } from '../support/restartable-platform.ts';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { GATEWAY_ENV as BARE_GATEWAY_ENV, buildAndUnpackAgent, spawnAgent, startSoilBus } from '../support/agent-package.ts';
import type { Cleanups } from '../support/agent-package.ts';

const run = promisify(execFile);
/** Debian's user-mode emulator and the arm64 runtime libraries it loads the program with. */
const QEMU = '/usr/bin/qemu-aarch64';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
/** ELF e_machine of AArch64. */
const EM_AARCH64 = 183;

let tp: RestartablePlatform;
const cleanups: Cleanups = [];
let deb: string;
let lib: string;
let work: string;

/** A gateway's environment, and the name the launcher gives the program (it is run here without the launcher). */
const GATEWAY_ENV = { ...BARE_GATEWAY_ENV, SHANSHUI_AGENT_SELF: '/usr/bin/shanshui-agent' };

/**
 * `shanshui-agent ARGS` as the package's launcher (/usr/bin/shanshui-agent, a shell script) runs
 * it — `lib/node … lib/shanshui-agent.js` — with the arm64 Node under qemu-user.
 */
function agentCommand(args: string[]): [string, string[]] {
  return [QEMU, ['-L', ARM64_SYSROOT, path.join(lib, 'node'), '--disable-warning=ExperimentalWarning', path.join(lib, 'shanshui-agent.js'), ...args]];
}

async function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = agentCommand(args);
  try {
    const r = await run(cmd, argv, { cwd: work, env: GATEWAY_ENV, timeout: 120_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

function elfMachine(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    assert.equal(head.subarray(0, 4).toString('latin1'), '\x7fELF', `${file} is an ELF file`);
    return head.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  const tmp = await tempDir('shanshui-install-arm64-');
  cleanups.push(tmp.remove);
  const unpacked = await buildAndUnpackAgent('arm64', tmp.dir);
  ({ deb, work } = unpacked);
  lib = path.join(unpacked.root, 'usr', 'lib', 'shanshui-agent', 'lib');
  tp = await startRestartablePlatform();
}, 600_000);
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  await tp?.close();
});

test('the arm64 package carries an arm64 Node runtime and the arm64 serial-port addon', async () => {
  const { stdout } = await run('dpkg-deb', ['--field', deb, 'Architecture']);
  assert.equal(stdout.trim(), 'arm64');
  assert.equal(elfMachine(path.join(lib, 'node')), EM_AARCH64);
  const prebuilds = path.join(lib, '..', 'prebuilds', 'linux-arm64');
  const glibc = readdirSync(prebuilds).find((f) => f.endsWith('.glibc.node'));
  assert.ok(glibc, 'a glibc build of @serialport/bindings-cpp for linux-arm64');
  assert.equal(elfMachine(path.join(prebuilds, glibc)), EM_AARCH64);
});

test('on arm64 (emulated), from the .deb alone: provisioned with a one-time token, two RS-485 Modbus sensors through a register map pushed as remote config, their readings in InfluxDB', { timeout: 420_000 }, async () => {
  const help = await agent(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /\/usr\/bin\/shanshui-agent provision --server/);

  const dir = path.join(work, 'state');
  const token = await tp.bootstrapToken({ id: 'gw-pi-arm64', domain: 'soil', department: 'agri' });
  const provision = await agent(['provision', '--server', tp.httpUrl, '--token', token, '--dir', dir]);
  assert.equal(provision.code, 0, provision.stderr);
  assert.match(provision.stdout, /Provisioned station gw-pi-arm64/);
  assert.match(provision.stdout, new RegExp(`Start the agent: /usr/bin/shanshui-agent run --dir ${dir}$`, 'm'));
  // One-time: the same token again (a second gateway, or a copy of the command) is refused.
  const again = await agent(['provision', '--server', tp.httpUrl, '--token', token, '--dir', path.join(work, 'state-2')]);
  assert.equal(again.code, 2, `${again.stdout}${again.stderr}`);
  assert.match(again.stderr, /Provisioning refused/);

  // Two sensors on one RS-485 bus: 28.7 % volumetric moisture, −3.0 °C. Generous timing: the emulated gateway is
  // several times slower than a real Pi.
  const modbus = await startSoilBus({ moisture: 287, temperature: 0xffe2 }, { timeoutMs: 3000, pollIntervalMs: 500 }, cleanups);
  const put = await tp.api.call('PUT', '/api/v1/stations/gw-pi-arm64/config', { version: 1, sources: [modbus] });
  assert.equal(put.status, 200, JSON.stringify(put.body));

  const [cmd, argv] = agentCommand(['run', '--dir', dir]);
  const running = spawnAgent(cmd, argv, { cwd: work, env: GATEWAY_ENV }, cleanups);
  const row = await eventually(async () => {
    const r = await tp.query(`SELECT last(moisture_vol) AS m, last(temperature) AS t FROM soil WHERE station = 'gw-pi-arm64'`);
    return r.length === 1 && r[0]!['m'] !== null && r[0]!['m'] !== undefined && r[0]!['t'] !== null && r[0]!['t'] !== undefined ? r[0] : undefined;
  }, `readings from the arm64 agent (stderr: ${running.stderr().slice(-500)})`, 240_000);
  assert.equal(row['m'], 28.7);
  assert.equal(row['t'], -3);
  assert.equal(await running.stop(), 0, running.stderr().slice(-2000));
});
