/**
 * MQTT over TLS (8883 when a certificate is configured), X.509 client certificates as the
 * device credential, and MQTT over WebSocket, end to end into InfluxDB; the HTTPS API (8443)
 * with plain HTTP keeping only the probes; the shared TLS profile (TLS ≥ 1.2, AEAD suites)
 * on both TLS ports; trustProxy and the audit log's client address. Certificates come from
 * the development CA script, so the script is tested too.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { TLS_PROFILE } from '@shanshui/broker';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { tlsRequest } from '../support/tls-request.ts';
import { connectPacket, packetTypes, rawExchange } from '../support/raw-mqtt.ts';

let tp: TestPlatform;
let certs: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  certs = await tempDir('shanshui-certs-');
  const script = fileURLToPath(new URL('../../scripts/dev-ca.sh', import.meta.url));
  execFileSync('bash', [script, certs.dir], { stdio: 'ignore' });
  execFileSync('bash', [script, certs.dir, '--device', 'x509-dev-1'], { stdio: 'ignore' });
  // A certificate from a CA the platform does not trust.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=x509-dev-1', '-keyout', path.join(certs.dir, 'rogue.key'), '-out', path.join(certs.dir, 'rogue.pem')], { stdio: 'ignore' });
  tp = await startTestPlatform(
    { mqttsPort: 0, httpsPort: 0, wsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key'), tlsCa: path.join(certs.dir, 'ca.pem') },
    { apiCa: readFileSync(path.join(certs.dir, 'ca.pem')) },
  );
});
afterAll(async () => {
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

test('HTTPS: the API answers on the HTTPS port, verified against the dev CA (by IP and by name); plain HTTP refuses it and keeps only the probes', async () => {
  const ca = readFileSync(path.join(certs.dir, 'ca.pem'));
  const https = tp.platform.httpsPort;
  assert.ok(https, 'an HTTPS port once a certificate is configured');
  const bearer = { authorization: `Bearer ${tp.platform.apiToken}` };
  for (const host of ['127.0.0.1', 'localhost']) {
    const res = await tlsRequest(`https://${host}:${https}/api/v1/stations`, { headers: bearer, ca });
    assert.equal(res.status, 200, `${host}: ${JSON.stringify(res.body)}`);
  }
  // A client that does not trust the dev CA is not talked into the certificate.
  await assert.rejects(tlsRequest(`https://127.0.0.1:${https}/healthz`), /self[- ]signed|unable to verify|certificate/i);

  // The same bearer call on plain HTTP: refused before the token is looked at, with the way to HTTPS.
  const plain = `http://127.0.0.1:${tp.platform.httpPort}`;
  const refused = await fetch(`${plain}/api/v1/stations`, { headers: bearer });
  assert.equal(refused.status, 403);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'API_ERR_TLS_REQUIRED');
  assert.match(body.error.message, new RegExp(`https://127\\.0\\.0\\.1:${https}/api/v1/stations`));
  // Provisioning secrets neither: a bootstrap token in clear is refused the same way.
  const provision = await fetch(`${plain}/api/v1/provision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'x'.repeat(32) }) });
  assert.equal(provision.status, 403);
  assert.equal(((await provision.json()) as { error: { code: string } }).error.code, 'API_ERR_TLS_REQUIRED');
  // Local probes keep working on plain HTTP.
  assert.equal((await fetch(`${plain}/healthz`)).status, 200);
  const metrics = await fetch(`${plain}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /shanshui_/);
});

test('TLS profile on both TLS ports: TLS 1.1 refused, TLS 1.2 only with AEAD suites, plain text gets no answer', async () => {
  const ca = readFileSync(path.join(certs.dir, 'ca.pem'));
  const handshake = (port: number, o: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string }> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, ...o }, () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.destroy();
      });
      socket.once('error', reject);
    });
  for (const [name, port] of [['MQTT over TLS', tp.platform.mqttsPort!], ['HTTPS', tp.platform.httpsPort!]] as const) {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal is the server's (alert 70).
    await assert.rejects(handshake(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), /protocol version|unsupported protocol/i, `${name}: TLS 1.1`);
    // CBC suites are not in the profile (alert 40).
    await assert.rejects(handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA' }), /handshake failure|no shared cipher/i, `${name}: CBC`);
    const v12 = await handshake(port, { maxVersion: 'TLSv1.2' });
    assert.equal(v12.protocol, 'TLSv1.2');
    assert.ok(TLS_PROFILE.ciphers.split(':').includes(v12.cipher), `${name}: ${v12.cipher} is a profile suite`);
    const v13 = await handshake(port, {});
    assert.equal(v13.protocol, 'TLSv1.3');
    assert.ok(TLS_PROFILE.ciphers.split(':').includes(v13.cipher), `${name}: ${v13.cipher} is a profile suite`);
  }
  // Plain text to the TLS ports: an HTTP request with a token, an MQTT CONNECT with a secret —
  // neither gets an answer of its protocol.
  const cred = await tp.register({ id: 'tls-plain-1' });
  const http = await rawExchange(tp.platform.httpsPort!, Buffer.from(`GET /api/v1/stations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tp.platform.apiToken}\r\n\r\n`));
  assert.ok(http.closedByBroker, 'HTTPS port closes a plain-text request');
  assert.doesNotMatch(http.received.toString('latin1'), /^HTTP\//);
  const mqttPlain = await rawExchange(tp.platform.mqttsPort!, connectPacket(cred.username, cred.username, cred.password));
  assert.ok(mqttPlain.closedByBroker, 'MQTT TLS port closes a plain-text CONNECT');
  assert.ok(!packetTypes(mqttPlain.received).includes(2), 'no CONNACK');
});

test('behind a TLS-terminating proxy (httpPlainApi, trustProxy): the plain API works, and the audit log records X-Forwarded-For only when the proxy is trusted', async () => {
  const forwarded = { 'x-forwarded-for': '203.0.113.7' };
  const auditIp = async (p: TestPlatform, target: string): Promise<unknown> => {
    const items = (await p.api('GET', `/api/v1/audit?target=${target}`)).body.items as Array<{ ip: string; method: string }>;
    return items.find((i) => i.method === 'POST')?.ip;
  };
  const station = (id: string) => ({ id, name: `测试站 ${id}`, domain: 'air', lat: 23.13, lon: 113.26, region: '440100', department: 'eco-env' });
  const ca = readFileSync(path.join(certs.dir, 'ca.pem'));

  // Default (trustProxy off): the header is anyone's to write, so the socket address is recorded.
  const res = await tlsRequest(`https://127.0.0.1:${tp.platform.httpsPort}/api/v1/stations`, { method: 'POST', headers: { authorization: `Bearer ${tp.platform.apiToken}`, ...forwarded }, body: station('xff-off-1'), ca });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(await auditIp(tp, 'xff-off-1'), '127.0.0.1');

  // Behind a trusted proxy on loopback that terminates TLS itself: the whole API on plain HTTP
  // too (explicitly), and the forwarded client address is recorded.
  const proxied = await startTestPlatform(
    { trustProxy: 'loopback', httpPlainApi: true, mqttsPort: 0, httpsPort: 0, tlsCert: path.join(certs.dir, 'server.pem'), tlsKey: path.join(certs.dir, 'server.key') },
    { apiCa: ca },
  );
  try {
    const base = `http://127.0.0.1:${proxied.platform.httpPort}`;
    const r1 = await tlsRequest(`${base}/api/v1/stations`, { method: 'POST', headers: { authorization: `Bearer ${proxied.platform.apiToken}`, ...forwarded }, body: station('xff-on-1') });
    assert.equal(r1.status, 201, JSON.stringify(r1.body));
    assert.equal(await auditIp(proxied, 'xff-on-1'), '203.0.113.7');
    const r2 = await tlsRequest(`${base}/api/v1/stations`, { method: 'POST', headers: { authorization: `Bearer ${proxied.platform.apiToken}` }, body: station('xff-on-2') });
    assert.equal(r2.status, 201);
    assert.equal(await auditIp(proxied, 'xff-on-2'), '127.0.0.1', 'no header: the proxy itself');
  } finally {
    await proxied.close();
  }
});
