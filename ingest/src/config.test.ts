import { test } from 'vitest';
import assert from 'node:assert/strict';
import { CONFIG_KEYS, envNameOf, loadConfig } from './config.ts';

test('config: defaults, env names, coercion', () => {
  const c = loadConfig({ SHANSHUI_MQTT_PORT: '1999', SHANSHUI_INFLUX_INSTALL: 'false' });
  assert.equal(c.listeners.mqttPort, 1999);
  assert.equal(c.influx.install, false);
  assert.equal(c.listeners.httpPort, 8080);
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
  for (const key of Object.keys(CONFIG_KEYS)) assert.ok(readme.includes(envNameOf(key)), `README documents ${envNameOf(key)}`);
});

test('config: TLS and proxy keys — trustProxy as true/false or addresses, cipher lists checked by OpenSSL, the key named', () => {
  assert.equal(loadConfig({}).listeners.trustProxy, false);
  assert.equal(loadConfig({}).listeners.httpsPort, 8443);
  assert.equal(loadConfig({}).listeners.plainApi, false);
  assert.equal(loadConfig({ SHANSHUI_TRUST_PROXY: 'true' }).listeners.trustProxy, true);
  assert.deepEqual(loadConfig({ SHANSHUI_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback,fd00::/8' }).listeners.trustProxy, ['127.0.0.1', '10.0.0.0/8', 'loopback', 'fd00::/8']);
  assert.throws(() => loadConfig({ SHANSHUI_TRUST_PROXY: 'proxy.example' }), /SHANSHUI_TRUST_PROXY: an IP address, a CIDR range/);
  assert.equal(loadConfig({ SHANSHUI_TLS_CIPHERS: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-SHA256' }).tls.ciphers, 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-SHA256');
  assert.throws(() => loadConfig({ SHANSHUI_TLS_CIPHERS: 'NO-SUCH-CIPHER' }), /SHANSHUI_TLS_CIPHERS: a cipher list OpenSSL accepts/);
});

test('config: webhook allow-list — comma-separated networks, none by default, a bad entry names the variable', () => {
  assert.deepEqual(loadConfig({}).outbound.allowNetworks, []);
  assert.deepEqual(loadConfig({ SHANSHUI_WEBHOOK_ALLOW_NETWORKS: '10.20.0.0/16, fd00:12::/32,192.168.1.5' }).outbound.allowNetworks, ['10.20.0.0/16', 'fd00:12::/32', '192.168.1.5']);
  assert.throws(() => loadConfig({ SHANSHUI_WEBHOOK_ALLOW_NETWORKS: '10.0.0.0/8,intranet' }), /SHANSHUI_WEBHOOK_ALLOW_NETWORKS: an IP address or CIDR range/);
});

test('config: nested per component; a component-owned setting takes its default and its check from the component schema, the variable named', async () => {
  const { DELIVERY_WORKER_DEFAULTS } = await import('./webhooks/delivery-worker.ts');
  const { WARNINGS_DEFAULTS } = await import('./alerts/start-warnings.ts');
  const { BrokerOptionsSchema } = await import('@shanshui/broker');
  const c = loadConfig({});
  assert.deepEqual(c.warnings.delivery, DELIVERY_WORKER_DEFAULTS);
  assert.equal(c.warnings.reloadMs, WARNINGS_DEFAULTS.reloadMs);
  assert.deepEqual(c.broker, BrokerOptionsSchema.parse({}));
  assert.equal(c.influx.database, 'shanshui');
  assert.equal(c.spool.maxBytes, 1024 ** 3);
  const set = loadConfig({ SHANSHUI_WEBHOOK_TIMEOUT_MS: '2000', SHANSHUI_DEFAULT_RULES: 'false', SHANSHUI_MAX_PACKET_BYTES: '4096', SHANSHUI_INFLUX_URL: 'http://influx.example:8086' });
  assert.equal(set.warnings.delivery.timeoutMs, 2000);
  assert.equal(set.warnings.delivery.maxAttempts, DELIVERY_WORKER_DEFAULTS.maxAttempts);
  assert.equal(set.warnings.seedDefaultRules, false);
  assert.equal(set.broker.maxPacketBytes, 4096);
  assert.equal(set.influx.url, 'http://influx.example:8086');
  assert.throws(() => loadConfig({ SHANSHUI_WEBHOOK_TIMEOUT_MS: 'soon' }), /SHANSHUI_WEBHOOK_TIMEOUT_MS: Invalid input: expected number/);
  assert.throws(() => loadConfig({ SHANSHUI_MAX_PACKET_BYTES: '10' }), /SHANSHUI_MAX_PACKET_BYTES: Too small/);
  assert.throws(() => loadConfig({ SHANSHUI_DEFAULT_RULES: 'maybe' }), /SHANSHUI_DEFAULT_RULES/);
  assert.equal(c.influx.writeLanes, 2);
  assert.equal(loadConfig({ SHANSHUI_INFLUX_WRITE_LANES: '4' }).influx.writeLanes, 4);
  assert.throws(() => loadConfig({ SHANSHUI_INFLUX_WRITE_LANES: '0' }), /SHANSHUI_INFLUX_WRITE_LANES: Too small/);
});

test('config: a JSON file names settings flat; an unknown key is refused with the file named', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shanshui-config-'));
  try {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ mqttPort: 2883, webhookMaxAttempts: 3, mapBasemap: 'xyz' }));
    const c = loadConfig({ SHANSHUI_CONFIG: file, SHANSHUI_MQTT_PORT: '3883' });
    assert.equal(c.listeners.mqttPort, 3883); // the environment wins
    assert.equal(c.warnings.delivery.maxAttempts, 3);
    assert.equal(c.map.basemap, 'xyz');
    await writeFile(file, JSON.stringify({ webhookMaxAttempts: 0 }));
    assert.throws(() => loadConfig({ SHANSHUI_CONFIG: file }), new RegExp(`${file}: webhookMaxAttempts: Too small`));
    await writeFile(file, JSON.stringify({ mqtt_port: 1 }));
    assert.throws(() => loadConfig({ SHANSHUI_CONFIG: file }), /unknown key\(s\) mqtt_port/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The README's Configuration table: `| \`SHANSHUI_X\` | \`key\` | meaning … Default D. |` rows. */
async function readmeConfigRows(): Promise<{ variable: string; key: string; meaning: string }[]> {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1));
  const rows: { variable: string; key: string; meaning: string }[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| `(SHANSHUI_[A-Z0-9_]+)` \| `([A-Za-z0-9]+)` \| (.*) \|$/.exec(line);
    if (m) rows.push({ variable: m[1]!, key: m[2]!, meaning: m[3]! });
  }
  return rows;
}

/** The value at a dotted path of the nested config. */
function at(config: unknown, path: string): unknown {
  let node = config;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

test('config: the README table has one row per key, under its variable, with the default the platform applies', async () => {
  const rows = await readmeConfigRows();
  const keys = Object.keys(CONFIG_KEYS);
  assert.deepEqual(rows.map((r) => r.key).sort(), [...keys].sort(), 'one README row per CONFIG_KEYS key, none twice');
  const defaults = loadConfig({});
  for (const { variable, key, meaning } of rows) {
    assert.equal(variable, envNameOf(key), `README row of ${key}`);
    const actual = at(defaults, CONFIG_KEYS[key as keyof typeof CONFIG_KEYS]);
    const stated = /Default:? (.+?)(?: \(|\.(?: |$)|;|$)/.exec(meaning)?.[1];
    if (stated === undefined) {
      // No default stated: the setting is off until given.
      assert.equal(actual, undefined, `${variable}: the README states no default, the platform has ${JSON.stringify(actual)}`);
      continue;
    }
    const expected: unknown = (() => {
      const s = stated.replace(/^`(.*)`$/, '$1');
      if (/^\d+$/.test(s)) return Number(s);
      if (s === 'true' || s === 'false') return s === 'true';
      if (s === '1 GiB') return 1024 ** 3;
      if (s === 'empty') return '';
      if (s === 'none') return Array.isArray(actual) ? [] : 'none';
      if (s === 'the list under Transport security') return undefined; // the TLS profile's own list
      return s;
    })();
    assert.deepEqual(actual, expected, `${variable}: README says "Default ${stated}"`);
  }
});
