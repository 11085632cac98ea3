/** Test support: the platform's CLI (`ingest/src/cli.ts`) as a child process against a running test platform, as a technician runs it. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestPlatform } from './test-platform.ts';

export const PLATFORM_CLI = fileURLToPath(new URL('../../ingest/src/cli.ts', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run cli -- …args` against `tp` with its admin token, to its exit. */
export function runPlatformCli(tp: TestPlatform, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PLATFORM_CLI, '--api', `http://127.0.0.1:${tp.platform.httpPort}`, '--token', tp.platform.apiToken, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
