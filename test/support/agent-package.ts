/**
 * Test support: the edge agent as a gateway gets it — `npm run agent:build` for one architecture,
 * its .deb unpacked into a temporary root (`dpkg -x`, as `dpkg --root` would lay it out) — and
 * what both install tests (x64, arm64 under qemu-user) give it: a gateway's bare environment, a
 * RS-485 bus of two soil sensors (Modbus RTU slaves on a socat pseudo-terminal pair) with the
 * register map to push as remote config, and the installed program run as a child process.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPtyPair, startRtuSlave } from '@shanshui/edge-agent/testing';
import { REPO_ROOT } from './agent-cli.ts';

const run = promisify(execFile);

/** A gateway's environment: system tools only — no node_modules/.bin, no Node, no npm. */
export const GATEWAY_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' };

/** Things to close when the test file ends, last first. */
export type Cleanups = Array<() => Promise<unknown>>;

export interface UnpackedAgentPackage {
  /** The .deb built. */
  readonly deb: string;
  /** Where it is unpacked (its `usr/bin/shanshui-agent`, `usr/lib/shanshui-agent/…`). */
  readonly root: string;
  /** An empty folder to run the agent in. */
  readonly work: string;
}

/** Builds the agent's .deb for `arch` into `dir` (no tarball) and unpacks it there. */
export async function buildAndUnpackAgent(arch: 'x64' | 'arm64', dir: string): Promise<UnpackedAgentPackage> {
  const out = path.join(dir, 'dist');
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-agent.ts'), `--arch=${arch}`, '--no-tarball', `--out=${out}`], { cwd: REPO_ROOT });
  const debArch = arch === 'x64' ? 'amd64' : arch;
  const file = readdirSync(out).find((f) => f.endsWith(`_${debArch}.deb`));
  if (!file) throw new Error(`no ${debArch} .deb in ${out}`);
  const deb = path.join(out, file);
  const root = path.join(dir, 'root');
  await run('dpkg', ['-x', deb, root]);
  const work = path.join(dir, 'work');
  await mkdir(work, { recursive: true });
  return { deb, root, work };
}

/** The two sensors' register words: moisture in 0.1 % steps, temperature in 0.1 °C steps (int16, two's complement). */
export interface SoilSensorWords {
  readonly moisture: number;
  readonly temperature: number;
}

/**
 * Two sensors on one RS-485 bus: a soil-moisture probe (slave 1, input register 0, ×0.1 %) and a
 * thermometer (slave 2, input register 4, int16 ×0.1 °C). Returns the Modbus source of a remote
 * config that reads them (metrics `moisture_vol`, `temperature`).
 */
export async function startSoilBus(words: SoilSensorWords, timing: { readonly timeoutMs: number; readonly pollIntervalMs: number }, cleanups: Cleanups): Promise<Record<string, unknown>> {
  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const slave = await startRtuSlave(pty.b);
  cleanups.push(slave.close);
  slave.bank.setWords('input', 1, 0, [words.moisture]);
  slave.bank.setWords('input', 2, 4, [words.temperature]);
  return {
    kind: 'modbus',
    transport: { type: 'rtu', device: pty.a, baudRate: 9600 },
    timeoutMs: timing.timeoutMs,
    groups: [
      { slaveId: 1, pollIntervalMs: timing.pollIntervalMs, points: [{ metric: 'moisture_vol', table: 'input', address: 0, scale: 0.1 }] },
      { slaveId: 2, pollIntervalMs: timing.pollIntervalMs, points: [{ metric: 'temperature', table: 'input', address: 4, type: 'int16', scale: 0.1 }] },
    ],
  };
}

export interface RunningAgent {
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** `shanshui-agent run …` as `command args` in the gateway's environment (killed at cleanup if still running). */
export function spawnAgent(command: string, args: readonly string[], options: { readonly cwd: string; readonly env: Record<string, string> }, cleanups: Cleanups): RunningAgent {
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill('SIGTERM');
      return (await exited)[0];
    },
  };
}
