/**
 * Upgrading to the catalogue: a platform started on a state database written by
 * release 0.1.0 (ingest/src/state/sql/fixtures/release-0.1.0-state.sql) keeps every station,
 * rule and alert; its stations (no profile: their domain's own) take readings into the same
 * measurements as before; the new domains' default rules are added once, and the old ones are
 * neither duplicated nor re-seeded.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startTestPlatform, eventuallyEqual } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const FIXTURE = new URL('../../ingest/src/state/sql/fixtures/release-0.1.0-state.sql', import.meta.url);
let tp: TestPlatform;
let remove: () => Promise<void>;
let oldRules: string[];

beforeAll(async () => {
  const tmp = await tempDir('shanshui-migration-');
  remove = tmp.remove;
  const sql = await readFile(FIXTURE, 'utf8');
  oldRules = [...sql.matchAll(/INSERT INTO rules \(id, definition, created_at, updated_at\) VALUES \('([^']+)'/g)].map((m) => m[1]!);
  const db = new DatabaseSync(path.join(tmp.dir, 'state.db'));
  db.exec(sql);
  db.close();
  tp = await startTestPlatform({ dataDir: tmp.dir });
});
afterAll(async () => {
  await tp?.close();
  await remove?.();
});

test('every station, rule and alert of a release-0.1.0 database is kept; the catalogue domains\' default rules are added once', async () => {
  const stations = (await tp.api('GET', '/api/v1/stations')).body.items as Array<Record<string, unknown>>;
  assert.deepEqual(
    stations.map((s) => [s['id'], s['domain'], s['department'], s['gatewayId'] ?? null, s['attributes'] ?? null, s['profile'] ?? null]),
    [
      ['gw-1', 'water', 'water', null, null, null],
      ['rtu-1', 'water', 'water', 'gw-1', { basin: '珠江' }, null],
    ],
  );
  const rules = ((await tp.api('GET', '/api/v1/rules?limit=1000')).body.items as Array<{ id: string }>).map((r) => r.id);
  assert.ok(oldRules.length >= 13);
  for (const id of oldRules) assert.ok(rules.includes(id), `rule ${id} kept`);
  for (const id of ['default-noise-zone', 'default-pollution-permit', 'default-river-flood', 'default-meteorology-rainstorm', 'default-geohazard-deformation']) assert.ok(rules.includes(id), `${id} added`);
  assert.equal(new Set(rules).size, rules.length, 'no rule twice');
  const alert = (await tp.api('GET', '/api/v1/alerts?state=all')).body.items.find((a: { id: string }) => a.id === 'al-1');
  assert.deepEqual([alert?.stationId, alert?.ruleId, alert?.level, alert?.state], ['gw-1', 'water-level', 'orange', 'firing']);
});

test('a station of the old release takes readings into its domain\'s measurement, checked against the domain as before', async () => {
  const rotated = await tp.api('POST', '/api/v1/stations/gw-1/credentials');
  assert.equal(rotated.status, 201);
  const client = await tp.connect('gw-1', rotated.body.credentials.password);
  const ts = Date.now() - 1000;
  await client.publishAsync('shanshui/v1/gw-1/up/readings', JSON.stringify({ seq: 4, ts, values: { ph: 7.1, nh3n: 0.4, w20111_unknown: 1 } }), { qos: 1 });
  await client.publishAsync('shanshui/v1/gw-1/up/readings', JSON.stringify({ seq: 5, ts: ts + 1, values: { ph: 7.2, hg: 0.04 } }), { qos: 1 });
  // A metric new to the water domain (总汞 from the HJ 212 tables) is known; the unknown one still a dead letter.
  await eventuallyEqual(() => tp.query(`SELECT ph, hg FROM water WHERE station = 'gw-1'`), [{ time: ts + 1, ph: 7.2, hg: 0.04 }], 'the reading in the water measurement, both fields');
});
