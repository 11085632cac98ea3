/**
 * The production compose's InfluxDB grants, tried on a real influxd with authentication.
 * docker-compose.yml cannot run here, so this test does what the
 * `influxdb:1.8` image's first start does with the variables the file gives it (its
 * init-influxdb.sh: INFLUXDB_USER → GRANT ALL ON the database, INFLUXDB_WRITE_USER → GRANT
 * WRITE, INFLUXDB_READ_USER → GRANT READ, INFLUXDB_ADMIN_USER → ALL PRIVILEGES), with the
 * values of .env.example, then runs the platform with the user the platform service is given.
 * With the write-only user the readings API, the map's reload after a restart and the
 * start-up CREATE DATABASE would all get 403.
 */
import { test, afterAll, expect } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { InfluxHttp, startManagedInfluxd } from '@shanshui/ingest';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
const dotEnv = Object.fromEntries(
  readFileSync(path.join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}` with .env.example's values, as docker compose does. */
const interpolate = (v: string): string => v.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, rest?: string) => dotEnv[name] ?? (op === '-' ? (rest ?? '') : ''));

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('the user docker-compose.yml gives the platform can do what the platform does: CREATE DATABASE at start, write, readings API, map reload after a restart', async () => {
  const influxEnv = Object.fromEntries(Object.entries(compose.services['influxdb']!.environment!).map(([k, v]) => [k, interpolate(String(v))]));
  const platformEnv = Object.fromEntries(Object.entries(compose.services['platform']!.environment!).map(([k, v]) => [k, interpolate(String(v))]));
  assert.equal(influxEnv['INFLUXDB_HTTP_AUTH_ENABLED'], 'true');
  const db = influxEnv['INFLUXDB_DB']!;

  // A real influxd with authentication; its admin plays INFLUXDB_ADMIN_USER.
  const tmp = await tempDir('shanshui-compose-grants-');
  cleanups.push(tmp.remove);
  const influxd = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0, database: db });
  cleanups.push(() => influxd.stop());
  const admin = JSON.parse(readFileSync(path.join(tmp.dir, 'credentials.json'), 'utf8')).admin as { username: string; password: string };
  const asAdmin = new InfluxHttp({ url: influxd.url, database: db, ...admin });
  // init-influxdb.sh of the influxdb:1.8 image, user by user.
  const grants: Array<[userVar: string, passwordVar: string, grant: string]> = [
    ['INFLUXDB_USER', 'INFLUXDB_USER_PASSWORD', 'ALL'],
    ['INFLUXDB_WRITE_USER', 'INFLUXDB_WRITE_USER_PASSWORD', 'WRITE'],
    ['INFLUXDB_READ_USER', 'INFLUXDB_READ_USER_PASSWORD', 'READ'],
  ];
  for (const [userVar, passwordVar, grant] of grants) {
    const user = influxEnv[userVar];
    if (!user) continue;
    await asAdmin.query(`CREATE USER "${user}" WITH PASSWORD '${influxEnv[passwordVar]}'`);
    await asAdmin.query(`REVOKE ALL PRIVILEGES FROM "${user}"`);
    await asAdmin.query(`GRANT ${grant} ON "${db}" TO "${user}"`);
  }

  const username = platformEnv['SHANSHUI_INFLUX_USERNAME']!;
  const password = platformEnv['SHANSHUI_INFLUX_PASSWORD']!;
  assert.ok(username && password, 'the platform service is given an InfluxDB user');
  const asPlatform = new InfluxHttp({ url: influxd.url, database: platformEnv['SHANSHUI_INFLUX_DATABASE']!, username, password });
  await asPlatform.ensureDatabase(); // what the platform runs at start
  // Grafana's user stays read-only.
  const grafanaEnv = compose.services['grafana']!.environment!;
  const asGrafana = new InfluxHttp({ url: influxd.url, database: db, username: interpolate(grafanaEnv['SHANSHUI_INFLUX_USERNAME']!), password: interpolate(grafanaEnv['SHANSHUI_INFLUX_PASSWORD']!) });
  await expect(asGrafana.write('m v=1')).rejects.toMatchObject({ status: 403 });

  const data = await tempDir();
  cleanups.push(data.remove);
  const config = { dataDir: data.dir, influxUrl: influxd.url, influxDatabase: db, influxUsername: username, influxPassword: password, defaultRules: false };
  let tp: TestPlatform = await startTestPlatform(config);
  let open = true;
  cleanups.push(async () => {
    if (open) await tp.close();
  });
  const cred = await tp.register({ id: 'grant-air-1', department: 'eco-env' });
  const client = await tp.connect(cred.username, cred.password);
  const ts = Date.now() - 60_000;
  await client.publishAsync('shanshui/v1/grant-air-1/up/readings', JSON.stringify({ seq: 1, ts, values: { pm25: 42 } }), { qos: 1 });
  const range = `from=${new Date(ts - 60_000).toISOString()}&to=${new Date(ts + 60_000).toISOString()}`;
  await expect
    .poll(async () => (await tp.api('GET', `/api/v1/stations/grant-air-1/readings?metric=pm25&${range}`)).body?.items?.length, { timeout: 20_000, message: 'readings API reads InfluxDB' })
    .toBe(1);
  await tp.close();
  open = false;

  // After a restart the map's latest values come back from InfluxDB (a read).
  tp = await startTestPlatform(config);
  open = true;
  const latest = await tp.api('GET', '/api/v1/stations/grant-air-1/readings/latest');
  assert.equal(latest.status, 200, JSON.stringify(latest.body));
  assert.equal(JSON.stringify(latest.body).includes('42'), true, `latest pm25 reloaded: ${JSON.stringify(latest.body)}`);
});
