/**
 * MQTT over TLS (8883 when a certificate is configured), X.509 client certificates as the
 * device credential, and MQTT over WebSocket, end to end into InfluxDB. Certificates come from
 * the development CA script, so the script is tested too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

let tp: TestPlatform;
let certs: { dir: string; remove: () => Promise<void> };
before(async () => {
  certs = await tempDir('shanshui-certs-');
  const script = fileURLToPath(new URL('../../scripts/dev-ca.sh', import.meta.url));
  execFileSync('bash', [script, certs.dir], { stdio: 'ignore' });
  execFileSync('bash', [script, certs.dir, '--device', 'x509-dev-1'], { stdio: 'ignore' });
  // A certificate from a CA the platform does not trust.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=x509-dev-1', '-keyout', path.join(certs.dir, 'rogue.key'), '-out', path.join(certs.dir, 'rogue.pem')], { stdio: 'ignore' });
  tp = await startTestPlatform({ mqttsPort: 0, wsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key'), tlsCa: path.join(certs.dir, 'ca.pem') });
});
after(async () => {
  await tp?.close();
  await certs?.remove();
});

test('MQTT over TLS: the device verifies the platform certificate and its reading is stored', async () => {
  const cred = await tp.register({ id: 'tls-dev-1' });
  assert.ok(tp.platform.mqttsPort);
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${tp.platform.mqttsPort}`, {
    clientId: cred.username,
    username: cred.username,
    password: cred.password,
    ca: readFileSync(path.join(certs.dir, 'ca.pem')),
    reconnectPeriod: 0,
  });
  try {
    await client.publishAsync('shanshui/v1/tls-dev-1/up/readings', JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: 9 } }), { qos: 1 });
    await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station='tls-dev-1'`)).length === 1, 'TLS reading stored');
  } finally {
    await client.endAsync();
  }
  // A client that does not trust the certificate is not talked into it.
  await assert.rejects(
    mqtt.connectAsync(`mqtts://127.0.0.1:${tp.platform.mqttsPort}`, { clientId: cred.username, username: cred.username, password: cred.password, reconnectPeriod: 0 }),
    /self[- ]signed|certificate/i,
  );
});

test('MQTT over WebSocket at /mqtt', async () => {
  const cred = await tp.register({ id: 'ws-dev-1' });
  const client = await mqtt.connectAsync(`ws://127.0.0.1:${tp.platform.wsPort}/mqtt`, { clientId: cred.username, username: cred.username, password: cred.password, reconnectPeriod: 0 });
  try {
    await client.publishAsync('shanshui/v1/ws-dev-1/up/readings', JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: 10 } }), { qos: 1 });
    await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station='ws-dev-1'`)).length === 1, 'WS reading stored');
  } finally {
    await client.endAsync();
  }
});

test('X.509: a device certificate from the platform CA whose CN is the device id replaces the secret', async () => {
  await tp.register({ id: 'x509-dev-1' });
  await tp.register({ id: 'x509-dev-2' });
  const file = (name: string) => readFileSync(path.join(certs.dir, name));
  const url = `mqtts://127.0.0.1:${tp.platform.mqttsPort}`;
  const tlsOpts = { ca: file('ca.pem'), reconnectPeriod: 0, connectTimeout: 5000 } as const;
  const client = await mqtt.connectAsync(url, { ...tlsOpts, clientId: 'x509-dev-1', username: 'x509-dev-1', cert: file('devices/x509-dev-1.pem'), key: file('devices/x509-dev-1.key') });
  try {
    await client.publishAsync('shanshui/v1/x509-dev-1/up/readings', JSON.stringify({ seq: 1, ts: Date.now(), values: { pm25: 11 } }), { qos: 1 });
    await eventually(async () => (await tp.query(`SELECT pm25 FROM air WHERE station='x509-dev-1'`)).length === 1, 'X.509 reading stored');
  } finally {
    await client.endAsync();
  }
  // The certificate names x509-dev-1: it is no credential for x509-dev-2.
  await assert.rejects(
    mqtt.connectAsync(url, { ...tlsOpts, clientId: 'x509-dev-2', username: 'x509-dev-2', cert: file('devices/x509-dev-1.pem'), key: file('devices/x509-dev-1.key') }),
    /Bad username or password|Not authorized/i,
  );
  // A certificate from another CA proves nothing, and without a secret the device is refused.
  await assert.rejects(
    mqtt.connectAsync(url, { ...tlsOpts, clientId: 'x509-dev-1', username: 'x509-dev-1', cert: file('rogue.pem'), key: file('rogue.key') }),
    /Bad username or password|Not authorized/i,
  );
});
