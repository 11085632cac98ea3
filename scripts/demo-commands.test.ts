/**
 * The demo's commands to try work for the way it was started: the managed InfluxDB's query reads
 * the platform user's password from the data folder; an external InfluxDB (SHANSHUI_INFLUX_URL)
 * has no such file, so its line must not point at one — without authentication the query runs
 * as printed against a real influxd, with authentication the values come through the API.
 */
import { test, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { startInfluxd } from '../test/support/test-platform.ts';
import { demoCommands } from './demo-commands.ts';

const gateway = { stationId: 'demo-gw-rsv-001', childStationId: 'demo-gw-water-001', command: 'set_gate_opening' };

test('managed InfluxDB: the query takes the platform user and its password from credentials.json; CLI flags only when moved', () => {
  const lines = demoCommands({
    api: 'http://localhost:8080',
    tokenFile: '.data/admin-token',
    influx: { url: 'http://127.0.0.1:8086', database: 'shanshui', managedCredentialsFile: '/srv/demo/.data/influxdb/credentials.json', username: 'shanshui_platform', authenticated: true },
    gateway,
  });
  expect(lines).toContain(`npm run cli -- command send demo-gw-rsv-001 set_gate_opening --args '{"value":40}'`);
  expect(lines.at(-1)).toBe(
    `curl -s -G http://127.0.0.1:8086/query --data-urlencode db=shanshui --data-urlencode u=shanshui_platform --data-urlencode "p=$(node -p "require('/srv/demo/.data/influxdb/credentials.json').platform.password")" --data-urlencode "q=SELECT last(pm25) FROM air GROUP BY station"`,
  );
  const moved = demoCommands({ api: 'http://localhost:18080', tokenFile: '/tmp/d/admin-token', influx: { url: 'http://127.0.0.1:8086', database: 'shanshui', authenticated: false }, gateway });
  expect(moved).toContain(`npm run cli -- --api http://localhost:18080 --token "$(cat /tmp/d/admin-token)" command send demo-gw-rsv-001 set_gate_opening --args '{"value":40}'`);
});

test('external InfluxDB with credentials: no credentials.json (there is none); the values through the API instead', () => {
  const lines = demoCommands({ api: 'http://localhost:8080', tokenFile: '.data/admin-token', influx: { url: 'http://influx.example:8086', database: 'shanshui', username: 'writer', authenticated: true } });
  expect(lines.join('\n')).not.toContain('credentials.json');
  expect(lines.at(-1)).toBe('curl -s -H "Authorization: Bearer $(cat .data/admin-token)" "http://localhost:8080/api/v1/readings/latest?domain=air"');
});

test('external InfluxDB without authentication: the printed query runs as pasted', async () => {
  const influx = await startInfluxd();
  try {
    // The platform creates its database at start; here, by hand.
    expect((await fetch(`${influx.influxd.url}/query?q=${encodeURIComponent('CREATE DATABASE shanshui')}`, { method: 'POST' })).status).toBe(200);
    const line = demoCommands({ api: 'http://localhost:8080', tokenFile: '.data/admin-token', influx: { url: influx.influxd.url, database: 'shanshui', authenticated: false } }).at(-1)!;
    expect(line).not.toContain('credentials.json');
    const out = await new Promise<string>((resolve, reject) => execFile('sh', ['-c', line], (err, stdout) => (err ? reject(new Error(`${line}: ${err.message}`)) : resolve(stdout))));
    // The database holds nothing yet: a well-formed answer without an error is the point.
    expect(JSON.parse(out)).toMatchObject({ results: [{ statement_id: 0 }] });
    expect(out).not.toMatch(/"error"/);
  } finally {
    await influx.remove();
  }
});
