/**
 * A profile's custom metric id is an InfluxDB field name: `q_pm25` would be written as a float
 * in one point and as pm25's quality string in another (a field type conflict: InfluxDB refuses
 * the whole write), and `time` is InfluxDB's own column. The API refuses both with 400 naming
 * the field, before any reading can be stored under them. Real platform (aedes, ingest, influxd).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const metric = { name: '自定义指标', nameEn: 'custom metric', unit: '', precision: 1, min: 0, max: 1000 };
const profile = (id: string, ids: readonly string[]) => ({ id, name: '测试点', domain: 'air', extends: 'air', customMetrics: ids.map((m) => ({ ...metric, id: m })) });

test('PUT /api/v1/profiles/:id refuses a custom metric id q_… or time with 400 naming the field', async () => {
  const cases: Array<[string, readonly string[], RegExp]> = [
    ['qual-1', ['q_pm25'], /customMetrics\.0\.id: must not start with q_/],
    ['qual-2', ['odour', 'q_odour'], /customMetrics\.1\.id: must not start with q_/],
    ['qual-3', ['time'], /customMetrics\.0\.id: must not be time/],
  ];
  for (const [id, ids, message] of cases) {
    const res = await tp.api('PUT', `/api/v1/profiles/${id}`, profile(id, ids));
    assert.equal(res.status, 400, `${id}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, message, id);
    // Not stored: nothing can be registered against it.
    assert.equal((await tp.api('GET', `/api/v1/profiles/${id}`)).status, 404, id);
  }
  // Names merely like them are fine.
  const ok = await tp.api('PUT', '/api/v1/profiles/qual-ok', profile('qual-ok', ['qa_index', 'timer']));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});
