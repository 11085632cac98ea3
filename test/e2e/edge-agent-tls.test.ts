/**
 * The edge agent's 5G uplink profile over TLS, end to end: a platform with a certificate from
 * the development CA (HTTPS API, MQTT over TLS); the gateway provisions through the CLI over
 * HTTPS verifying the platform with `--ca` (refused over plain HTTP, and without the CA), then
 * sends simulated readings over mqtts at QoS 1, immediately, verified against the CA it kept
 * from provisioning; every reading taken is stored in InfluxDB.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { pino } from 'pino';
import { createAgent, provisionAgent, PLATFORM_CA_FILE } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { REPO_ROOT, runAgentCli } from '../support/agent-cli.ts';

const DEV_CA = path.join(REPO_ROOT, 'scripts', 'dev-ca.sh');

let tp: TestPlatform;
let certs: { dir: string; remove: () => Promise<void> };
const cleanups: Array<() => Promise<unknown>> = [];
const caFile = (): string => path.join(certs.dir, 'ca.pem');

beforeAll(async () => {
  certs = await tempDir('shanshui-agent-certs-');
  execFileSync('bash', [DEV_CA, certs.dir], { stdio: 'ignore' });
  // Another CA, which did not sign the platform's certificate.
  execFileSync('bash', [DEV_CA, path.join(certs.dir, 'other')], { stdio: 'ignore' });
  tp = await startTestPlatform(
    { mqttsPort: 0, httpsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key') },
    { apiCa: readFileSync(caFile()) },
  );
});
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  await tp?.close();
  await certs?.remove();
});

async function bootstrapToken(id: string): Promise<string> {
  await tp.register({ id });
  const res = await tp.api('POST', `/api/v1/stations/${id}/bootstrap-tokens`, {});
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.token as string;
}

async function agentDir(): Promise<string> {
  const tmp = await tempDir('shanshui-agent-tls-');
  cleanups.push(tmp.remove);
  return path.join(tmp.dir, 'agent');
}

test('provisioning over HTTPS: the CLI verifies the platform with --ca; over plain HTTP, or without the CA, the gateway is told why', { timeout: 60_000 }, async () => {
  const token = await bootstrapToken('g5-agent-01');
  const dir = await agentDir();
  const httpsUrl = `https://127.0.0.1:${tp.platform.httpsPort}`;

  // The bootstrap token must not travel in clear: refused before the platform looks at it.
  const plain = await runAgentCli(['provision', '--server', `http://127.0.0.1:${tp.platform.httpPort}`, '--token', token, '--dir', dir]);
  assert.equal(plain.code, 2, plain.stderr);
  assert.match(plain.stderr, /API_ERR_TLS_REQUIRED/);
  assert.ok(plain.stderr.includes(`${httpsUrl}/api/v1/provision`), plain.stderr);

  // Without the CA the platform's certificate is not trusted (and the token is not sent).
  const untrusted = await runAgentCli(['provision', '--server', httpsUrl, '--token', token, '--dir', dir]);
  assert.equal(untrusted.code, 1, untrusted.stderr);
  assert.match(untrusted.stderr, /Provisioning failed: .*(self[- ]signed|unable to verify|certificate)/i);

  // With it: provisioned (the token was neither consumed by the refusals nor seen in clear).
  const ok = await runAgentCli(['provision', '--server', httpsUrl, '--token', token, '--dir', dir, '--ca', caFile()]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Provisioned station g5-agent-01/);
  assert.ok(ok.stdout.includes(`MQTT: mqtts://127.0.0.1:${tp.platform.mqttsPort}`), ok.stdout);
  // The CA is kept beside the credentials, owner-only, for `run`.
  const kept = path.join(dir, PLATFORM_CA_FILE);
  assert.equal(readFileSync(kept, 'utf8'), readFileSync(caFile(), 'utf8'));
  assert.equal(statSync(kept).mode & 0o777, 0o600);
});

test('5G profile over TLS: QoS 1, immediate send over mqtts verified against the kept CA; every reading taken is stored', { timeout: 120_000 }, async () => {
  const id = 'g5-agent-02';
  const dir = await agentDir();
  await provisionAgent({ server: `https://127.0.0.1:${tp.platform.httpsPort}`, token: await bootstrapToken(id), dir, ca: readFileSync(caFile(), 'utf8') });

  const taken: number[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (line.includes('"readings taken"') && taken.push(...(JSON.parse(line).ts as number[]))) });
  // No `ca` option: the agent uses the CA provisioning kept, as `run` does.
  const agent: Agent = await createAgent({
    dir,
    logger,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    config: { version: 1, uplink: { profile: '5g' }, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: 0.05 }] },
  });
  cleanups.push(() => agent.stop());
  await eventually(() => agent.stats().uplink.connects >= 1, 'the uplink connected', 30_000);
  const u = agent.stats().uplink;
  assert.equal(u.profile, '5g');
  assert.equal(u.url, `mqtts://127.0.0.1:${tp.platform.mqttsPort}`, 'the 5g profile uses the TLS endpoint');
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = '${id}'`)).length >= 20, '20 readings stored', 60_000);

  // Stop the source (config v2, over the HTTPS API), let the buffer drain, compare.
  assert.equal((await tp.api('PUT', `/api/v1/stations/${id}/config`, { version: 2, uplink: { profile: '5g' }, sources: [] })).status, 200);
  await eventually(() => agent.config().version === 2 && agent.stats().buffer.depth === 0, 'config v2 applied and the buffer drained', 60_000);
  const stored = await eventually(async () => {
    const rows = (await tp.query(`SELECT pm25 FROM air WHERE station = '${id}'`)).map((r) => r['time'] as number);
    return rows.length >= taken.length ? rows : undefined;
  }, 'every acknowledged reading in InfluxDB', 30_000);
  assert.deepEqual(stored, taken, 'every reading taken is stored, once, in order');
  const s = agent.stats().uplink;
  assert.equal(s.messagesAcked, s.messagesSent, 'every message PUBACKed (QoS 1)');
  assert.equal(s.readingsAcked, taken.length);
  assert.equal(s.disconnects, 0);
});

test('5G profile over TLS: a CA that did not sign the platform certificate never connects (no fallback to plain MQTT)', { timeout: 60_000 }, async () => {
  const dir = await agentDir();
  await provisionAgent({ server: `https://127.0.0.1:${tp.platform.httpsPort}`, token: await bootstrapToken('g5-agent-03'), dir, ca: readFileSync(caFile(), 'utf8') });
  const agent = await createAgent({
    dir,
    ca: readFileSync(path.join(certs.dir, 'other', 'ca.pem'), 'utf8'),
    reconnectMinMs: 100,
    reconnectMaxMs: 200,
    config: { version: 1, uplink: { profile: '5g' }, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: 0.05 }] },
  });
  cleanups.push(() => agent.stop());
  await eventually(() => agent.stats().uplink.failedAttempts >= 3, 'three refused TLS handshakes', 30_000);
  const u = agent.stats().uplink;
  assert.equal(u.connects, 0);
  assert.ok(u.url.startsWith('mqtts://'));
  assert.ok(agent.stats().buffer.depth > 0, 'readings wait in the buffer');
  assert.equal((await tp.query(`SELECT pm25 FROM air WHERE station = 'g5-agent-03'`)).length, 0);
});

test('NB-IoT profile: TLS too when the platform offers it; plain MQTT only by an explicit plainMqtt', { timeout: 120_000 }, async () => {
  const id = 'nb-agent-04';
  const dir = await agentDir();
  await provisionAgent({ server: `https://127.0.0.1:${tp.platform.httpsPort}`, token: await bootstrapToken(id), dir, ca: readFileSync(caFile(), 'utf8') });
  const nbiot = { profile: 'nbiot', batchIntervalSec: 0.2, maxPayloadBytes: 512, keepaliveSec: 900 } as const;
  const agent = await createAgent({
    dir,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    config: { version: 1, uplink: nbiot, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: 0.05 }] },
  });
  cleanups.push(() => agent.stop());
  await eventually(() => agent.stats().uplink.connects >= 1, 'the uplink connected', 30_000);
  assert.equal(agent.stats().uplink.url, `mqtts://127.0.0.1:${tp.platform.mqttsPort}`, 'a remote switch to NB-IoT does not downgrade the link');
  await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station = '${id}'`)).length >= 10, 'readings stored over TLS', 60_000);

  assert.equal((await tp.api('PUT', `/api/v1/stations/${id}/config`, { version: 2, uplink: { ...nbiot, plainMqtt: true }, sources: [] })).status, 200);
  await eventually(() => agent.config().version === 2 && agent.stats().uplink.url === `mqtt://127.0.0.1:${tp.platform.mqttPort}` && agent.stats().uplink.state === 'connected', 'plain MQTT, as configured', 60_000);
});
