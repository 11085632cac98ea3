/**
 * The CLI against a platform with TLS configured (README "Transport security"): pointed at plain
 * HTTP it says how to reach the HTTPS API, and against a certificate from a private CA it says how
 * to trust that CA — and both hints, followed as printed, work.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAgentCli } from '../support/agent-cli.ts';
import { PLATFORM_CLI } from '../support/platform-cli.ts';
import type { CliResult } from '../support/platform-cli.ts';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

let certs: Awaited<ReturnType<typeof tempDir>>;
let tp: TestPlatform;

beforeAll(async () => {
  certs = await tempDir('shanshui-certs-');
  execFileSync('bash', [fileURLToPath(new URL('../../scripts/dev-ca.sh', import.meta.url)), certs.dir], { stdio: 'ignore' });
  tp = await startTestPlatform(
    { httpsPort: 0, mqttsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key') },
    { apiCa: readFileSync(path.join(certs.dir, 'ca.pem')) },
  );
}, 120_000);
afterAll(async () => {
  await tp?.close();
  await certs?.remove();
});

function cli(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PLATFORM_CLI, '--token', tp.platform.apiToken, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('plain HTTP: the refusal names the HTTPS address to set; a private CA: the hint names NODE_EXTRA_CA_CERTS; followed, both work', async () => {
  const https = `https://127.0.0.1:${tp.platform.httpsPort}`;
  const plain = await cli({ SHANSHUI_CLI_API: `http://127.0.0.1:${tp.platform.httpPort}` }, 'station', 'list');
  expect(plain.code).toBe(2);
  expect(plain.stderr).toContain('API_ERR_TLS_REQUIRED');
  expect(plain.stderr).toContain(`SHANSHUI_CLI_API=${https} npm run cli -- …`);

  const untrusted = await cli({ SHANSHUI_CLI_API: https }, 'station', 'list');
  expect(untrusted.code).toBe(2);
  expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS=ca.pem npm run cli -- …');

  const trusted = await cli({ SHANSHUI_CLI_API: https, NODE_EXTRA_CA_CERTS: path.join(certs.dir, 'ca.pem') }, 'station', 'list');
  expect(trusted).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(trusted.stdout)).toMatchObject({ items: [] });
});

test('station token under a private CA: the printed provision line carries --ca, and run as printed it provisions the gateway', async () => {
  const https = `https://127.0.0.1:${tp.platform.httpsPort}`;
  const ca = path.join(certs.dir, 'ca.pem');
  await tp.register({ id: 'gw-tls-hint-01', domain: 'reservoir' });
  const issued = await cli({ SHANSHUI_CLI_API: https, NODE_EXTRA_CA_CERTS: ca }, 'station', 'token', 'gw-tls-hint-01');
  expect(issued.code).toBe(0);
  const line = /\(in the repository: npm run agent -- (provision .*)\)$/m.exec(issued.stderr)?.[1];
  expect(line, issued.stderr).toContain(`--ca ${ca}`);
  expect(issued.stderr).toMatch(/shanshui-agent provision --server \S+ --token \S+ --ca \S+/);
  const dir = await tempDir();
  try {
    const provisioned = await runAgentCli([...line!.split(' '), '--dir', dir.dir]);
    expect(provisioned, provisioned.stderr).toMatchObject({ code: 0 });
  } finally {
    await dir.remove();
  }
});
