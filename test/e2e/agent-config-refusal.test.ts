/**
 * A config the agent rejects must not look accepted: a real platform, a real agent,
 * the real CLI. GET …/config shows desired and applied side by side with the agent's reason, and
 * `npm run cli -- station config ID --file F` exits non-zero when the agent refuses it.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '@shanshui/ingest';
import { startRestartablePlatform, AGENT_TEST_API_TOKEN } from '../support/restartable-platform.ts';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { agentIn, provisionedAgentDir } from '../support/agent-folder.ts';
import type { Cleanups } from '../support/agent-folder.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let tp: RestartablePlatform;
const cleanups: Cleanups = [];
beforeAll(async () => {
  tp = await startRestartablePlatform();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await tp?.close();
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'ingest', 'src', 'cli.ts'), '--api', tp.httpUrl, '--token', AGENT_TEST_API_TOKEN, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('an agent-rejected config: the CLI exits 3 with the reason; GET shows desired 2, applied 1, rejected with the reason', { timeout: 120_000 }, async () => {
  const dir = await provisionedAgentDir(tp, cleanups, { id: 'cfg-new-01', domain: 'reservoir', department: 'water' });
  await agentIn(cleanups, dir);
  const files = await tempDir('shanshui-cfg-');
  cleanups.push(files.remove);
  const port = await freePort();
  const v1 = path.join(files.dir, 'v1.json');
  const v2 = path.join(files.dir, 'v2.json');
  await writeFile(v1, JSON.stringify({ version: 1, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }] }));
  // Valid for the platform's schema, not for the agent: two listeners on one port.
  await writeFile(v2, JSON.stringify({ version: 2, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }, { kind: 'sl651', port, host: '127.0.0.1' }] }));

  const first = await cli(['station', 'config', 'cfg-new-01', '--file', v1, '--wait', '30']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toMatch(/applied version 1/);
  expect((await cli(['station', 'config', 'cfg-new-01'])).code, 'shown: applied').toBe(0);

  const second = await cli(['station', 'config', 'cfg-new-01', '--file', v2, '--wait', '30']);
  expect(second.code, second.stderr).toBe(3);
  expect(second.stderr).toMatch(/REJECTED version 2: .*port \d+ is already used/);
  expect(second.stderr).toMatch(/keeps running version 1/);
  expect((await cli(['station', 'config', 'cfg-new-01'])).code, 'shown: rejected').toBe(3);

  const shown = await tp.api.call('GET', '/api/v1/stations/cfg-new-01/config');
  expect(shown.status).toBe(200);
  expect(shown.body.config.version).toBe(2);
  expect(shown.body.agent).toMatchObject({ desiredVersion: 2, state: 'rejected', applied: { version: 1 }, rejected: { version: 2, runningVersion: 1 } });
  expect(shown.body.agent.rejected.reason).toMatch(/port \d+ is already used/);
});

test('commands are checked against the config the agent runs, not a desired one it refused', { timeout: 120_000 }, async () => {
  const dir = await provisionedAgentDir(tp, cleanups, { id: 'cfg-cmd-01', domain: 'reservoir', department: 'water' });
  await agentIn(cleanups, dir);
  const files = await tempDir('shanshui-cfg-');
  cleanups.push(files.remove);
  const port = await freePort();
  const modbusPort = await freePort();
  const gate = { name: 'set_gate_opening', slaveId: 1, table: 'holding', address: 10, min: 0, max: 100 };
  const modbus = { kind: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port: modbusPort }, groups: [{ slaveId: 1, points: [{ metric: 'outflow', table: 'holding', address: 11 }] }], commands: [gate] };
  const v1 = path.join(files.dir, 'v1.json');
  const v2 = path.join(files.dir, 'v2.json');
  const v3 = path.join(files.dir, 'v3.json');
  await writeFile(v1, JSON.stringify({ version: 1, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }] }));
  // Defines the gate command, but the agent refuses it (two listeners on one port).
  await writeFile(v2, JSON.stringify({ version: 2, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }, { kind: 'sl651', port, host: '127.0.0.1' }, modbus] }));
  await writeFile(v3, JSON.stringify({ version: 3, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }, modbus] }));

  expect((await cli(['station', 'config', 'cfg-cmd-01', '--file', v1, '--wait', '30'])).code).toBe(0);
  const rejected = await cli(['station', 'config', 'cfg-cmd-01', '--file', v2, '--wait', '30']);
  expect(rejected.code, rejected.stderr).toBe(3);

  const refused = await cli(['command', 'send', 'cfg-cmd-01', 'set_gate_opening', '--args', '{"value":40}']);
  expect(refused.code, refused.stdout).not.toBe(0);
  expect(refused.stderr).toMatch(/agent runs config version 1.*defines no commands.*version 2.*not applied/);

  expect((await cli(['station', 'config', 'cfg-cmd-01', '--file', v3, '--wait', '30'])).code).toBe(0);
  // Accepted without waiting for the answer: not confirmed, so exit 4 (not 0, not a failure).
  const sent = await cli(['command', 'send', 'cfg-cmd-01', 'set_gate_opening', '--args', '{"value":40}', '--wait', '0']);
  expect(sent.code, sent.stderr).toBe(4);
  expect(JSON.parse(sent.stdout).command.state).toMatch(/^(pending|sent)$/);
  const outOfRange = await tp.api.call('POST', '/api/v1/stations/cfg-cmd-01/commands', { name: 'set_gate_opening', args: { value: 140 } });
  expect(outOfRange.status).toBe(400);
  expect(outOfRange.body.error.message).toMatch(/above max 100/);
});
