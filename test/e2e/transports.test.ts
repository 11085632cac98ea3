/** MQTT over TLS (8883 when a certificate is configured) and over WebSocket, end to end into InfluxDB. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

let tp: TestPlatform;
let certs: { dir: string; remove: () => Promise<void> };
before(async () => {
  certs = await tempDir('shanshui-certs-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(certs.dir, 'key.pem'), '-out', path.join(certs.dir, 'cert.pem')], { stdio: 'ignore' });
  tp = await startTestPlatform({ mqttsPort: 0, wsPort: 0, tlsCert: path.join(certs.dir, 'cert.pem'), tlsKey: path.join(certs.dir, 'key.pem') });
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
    ca: readFileSync(path.join(certs.dir, 'cert.pem')),
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
