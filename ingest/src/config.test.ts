import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ConfigSchema, envNameOf, loadConfig } from './config.ts';

test('config: defaults, env names, coercion', () => {
  const c = loadConfig({ SHANSHUI_MQTT_PORT: '1999', SHANSHUI_INFLUX_INSTALL: 'false' });
  assert.equal(c.mqttPort, 1999);
  assert.equal(c.influxInstall, false);
  assert.equal(c.httpPort, 8080);
  assert.equal(envNameOf('maxFutureSkewMs'), 'SHANSHUI_MAX_FUTURE_SKEW_MS');
});

test('config: a bad value names the variable; unknown variables are refused', () => {
  assert.throws(() => loadConfig({ SHANSHUI_MQTT_PORT: 'abc' }), /SHANSHUI_MQTT_PORT/);
  assert.throws(() => loadConfig({ SHANSHUI_INFLUX_URL: 'not a url' }), /SHANSHUI_INFLUX_URL/);
  assert.throws(() => loadConfig({ SHANSHUI_SCRYPT_COST: '1000' }), /SHANSHUI_SCRYPT_COST: a power of two/);
  assert.throws(() => loadConfig({ SHANSHUI_MQT_PORT: '1' }), /unknown variable\(s\) SHANSHUI_MQT_PORT/);
});

test('config: every key has a one-line doc in the README reference', async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  for (const key of Object.keys(ConfigSchema.shape)) assert.ok(readme.includes(envNameOf(key)), `README documents ${envNameOf(key)}`);
});

test('config: TLS and proxy keys — trustProxy as true/false or addresses, cipher lists checked by OpenSSL, the key named', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({}).httpsPort, 8443);
  assert.equal(loadConfig({}).httpPlainApi, false);
  assert.equal(loadConfig({ SHANSHUI_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.deepEqual(loadConfig({ SHANSHUI_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback,fd00::/8' }).trustProxy, ['127.0.0.1', '10.0.0.0/8', 'loopback', 'fd00::/8']);
  assert.throws(() => loadConfig({ SHANSHUI_TRUST_PROXY: 'proxy.example' }), /SHANSHUI_TRUST_PROXY: an IP address, a CIDR range/);
  assert.equal(loadConfig({ SHANSHUI_TLS_CIPHERS: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-SHA256' }).tlsCiphers, 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-SHA256');
  assert.throws(() => loadConfig({ SHANSHUI_TLS_CIPHERS: 'NO-SUCH-CIPHER' }), /SHANSHUI_TLS_CIPHERS: a cipher list OpenSSL accepts/);
});

test('config: webhook allow-list — comma-separated networks, none by default, a bad entry names the variable', () => {
  assert.deepEqual(loadConfig({}).webhookAllowNetworks, []);
  assert.deepEqual(loadConfig({ SHANSHUI_WEBHOOK_ALLOW_NETWORKS: '10.20.0.0/16, fd00:12::/32,192.168.1.5' }).webhookAllowNetworks, ['10.20.0.0/16', 'fd00:12::/32', '192.168.1.5']);
  assert.throws(() => loadConfig({ SHANSHUI_WEBHOOK_ALLOW_NETWORKS: '10.0.0.0/8,intranet' }), /SHANSHUI_WEBHOOK_ALLOW_NETWORKS: an IP address or CIDR range/);
});
