/** The agent program's usage: `--help` (first or after a command) exits 0; no command exits 64 (usage). */
import { test, expect } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const CLI = path.join(import.meta.dirname, 'cli.ts');
const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, SHANSHUI_AGENT_SELF: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

test('--help, -h, help and COMMAND --help print the usage and exit 0, naming commands that work here', async () => {
  for (const args of [['--help'], ['-h'], ['help'], ['provision', '--help'], ['run', '--help']]) {
    const r = await run(args);
    expect(r.code, args.join(' ')).toBe(0);
    expect(r.stdout).toMatch(/npm run agent -- provision --server/);
  }
});

test('no command or an unknown one: usage on stderr, exit 64', async () => {
  expect((await run([])).code).toBe(64);
  const r = await run(['fly']);
  expect(r.code).toBe(64);
  expect(r.stderr).toMatch(/unknown command fly/);
});
