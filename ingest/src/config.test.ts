import { test } from 'node:test';
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
