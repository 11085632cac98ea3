/**
 * The demo can try commands: its gateway's config maps `set_gate_opening` to the
 * holding register of a simulated Modbus TCP gate controller. The README's exact command, run
 * as a real CLI process against the demo's gateway, is answered, writes the register, and the
 * outflow the agent polls from the controller follows the new opening.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { DEMO_GATE, DEMO_GATE_COMMAND, startDemoGateway } from '../../scripts/demo-gateway.ts';
import type { DemoGateway } from '../../scripts/demo-gateway.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let tp: TestPlatform;
let gateway: DemoGateway | undefined;
let removeDir: (() => Promise<void>) | undefined;
beforeAll(async () => {
  tp = await startTestPlatform();
  const dir = await tempDir('shanshui-demo-gw-');
  removeDir = dir.remove;
  gateway = await startDemoGateway({ platform: tp.platform, dir: path.join(dir.dir, 'demo-agent'), logger: pino({ level: process.env['DEMO_GATE_LOG'] ?? 'silent' }) });
}, 120_000);
afterAll(async () => {
  await gateway?.stop();
  await tp?.close();
  await removeDir?.();
});

/** The README's line that sends the demo's gate command, exactly as written there. */
async function readmeCommand(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('npm run cli -- command send ') && l.includes(DEMO_GATE_COMMAND));
  if (!line) throw new Error('README has no `npm run cli -- command send … set_gate_opening` line');
  return line.replace(/\s+#.*$/, '');
}

test("the README's gate command, run by the CLI against the demo gateway: answered, the register written, the outflow follows", { timeout: 180_000 }, async () => {
  const g = gateway!;
  const latest = async (): Promise<Record<string, { value: number } | undefined>> => (await tp.api('GET', `/api/v1/stations/${g.stationId}/readings/latest`)).body.values ?? {};
  // The agent runs the demo config (commands are checked against what it runs) and polls the gate: 20 % → 12 m³/s.
  await expect.poll(async () => (await tp.api('GET', `/api/v1/stations/${g.stationId}/config`)).body.agent?.state, { timeout: 60_000 }).toBe('applied');
  await expect.poll(async () => (await latest())['outflow']?.value, { timeout: 60_000, interval: 500 }).toBe(12);

  const command = await readmeCommand();
  expect(command).toBe(`npm run cli -- command send ${g.stationId} ${DEMO_GATE_COMMAND} --args '{"value":40}'`);
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('sh', ['-c', command], { cwd: ROOT, timeout: 90_000, env: { ...process.env, SHANSHUI_CLI_API: `http://127.0.0.1:${tp.platform.httpPort}`, SHANSHUI_CLI_TOKEN: tp.platform.apiToken } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr, run.stderr).toMatch(/已执行 — demo-gw-rsv-001 carried out set_gate_opening: \{"written":\[400\]\}/);
  expect(JSON.parse(run.stdout.slice(run.stdout.search(/^\{/m))).command).toMatchObject({ name: DEMO_GATE_COMMAND, state: 'succeeded', args: { value: 40 } });

  // The controller's opening register holds 40 % in 0.1 %, written once; the outflow follows: 40 % of 60 m³/s.
  expect(g.gate.register(DEMO_GATE.openingAddress)).toBe(400);
  expect(g.gate.writes.map((w) => w.value)).toEqual([400]);
  await expect.poll(async () => (await latest())['outflow']?.value, { timeout: 60_000, interval: 500 }).toBe(24);

  // Out of the command's range: refused by the platform before it reaches the gate.
  const tooFar = await tp.api('POST', `/api/v1/stations/${g.stationId}/commands`, { name: DEMO_GATE_COMMAND, args: { value: 140 } });
  expect(tooFar.status).toBe(400);
  expect(g.gate.writes).toHaveLength(1);
});
