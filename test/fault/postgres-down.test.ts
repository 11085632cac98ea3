/**
 * Nothing on the publish path waits on PostgreSQL: with the database killed, a connected
 * device's readings are still acknowledged and reach InfluxDB, and its bad payloads are still
 * acknowledged (dead letters wait in their own fsynced spool); when PostgreSQL returns, the
 * dead letters reach it — none lost.
 */
import { test, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { startPostgres } from '../support/postgres-server.ts';
import type { PostgresServer } from '../support/postgres-server.ts';

let pg: PostgresServer;
let tp: TestPlatform;

beforeAll(async () => {
  pg = await startPostgres();
  tp = await startTestPlatform({ databaseUrl: await pg.createDatabase(), secretKey: randomBytes(32).toString('hex'), defaultRules: false });
});
afterAll(async () => {
  await tp?.close();
  await pg?.stop();
});

test('PostgreSQL killed: readings and bad payloads are still acknowledged, readings stored; dead letters arrive when it returns', async () => {
  const cred = await tp.register({ id: 'air-pgdown' });
  const client = await tp.connect(cred.username, cred.password);
  pg.kill();
  const t0 = Date.now() - 60_000;
  for (let seq = 1; seq <= 20; seq++) {
    await client.publishAsync('shanshui/v1/air-pgdown/up/readings', JSON.stringify({ seq, ts: t0 + seq, values: { pm25: seq } }), { qos: 1 });
    if (seq % 5 === 0) await client.publishAsync('shanshui/v1/air-pgdown/up/readings', `{"seq":${seq},"ts":"not a time"}`, { qos: 1 });
  }
  await eventually(async () => (await tp.query(`SELECT count(pm25) FROM air WHERE station='air-pgdown'`))[0]?.['count'] === 20, 'the 20 readings in InfluxDB while PostgreSQL is down');
  await pg.restart();
  await eventually(async () => {
    const res = await tp.api('GET', '/api/v1/dead-letters?device=air-pgdown');
    return res.status === 200 && (res.body.items as unknown[]).length === 4;
  }, 'the 4 dead letters once PostgreSQL is back', 30_000);
  await client.endAsync();
});
