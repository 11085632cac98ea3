/**
 * Free text with control characters is refused at the API, naming the field:
 * a station name with them, once stored, would make every CAP delivery about it malformed
 * XML. Real platform, real HTTP.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ defaultRules: false });
});
afterAll(async () => {
  await tp?.close();
});

const station = { id: 'cc-1', name: '天河空气站', domain: 'air', lat: 23.1, lon: 113.3, region: '440106', department: 'eco-env' };

function refused(res: { status: number; body: any }, field: string): void {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'API_ERR_VALIDATION');
  assert.match(res.body.error.message, new RegExp(`${field}: control characters`), res.body.error.message);
}

test('station names with NUL or BEL are refused on create and on update (400 naming `name`)', async () => {
  refused(await tp.api('POST', '/api/v1/stations', { ...station, name: '天河\u0000站' }), 'name');
  refused(await tp.api('POST', '/api/v1/stations', { ...station, name: '天河\u0007站' }), 'name');
  refused(await tp.api('POST', '/api/v1/stations', { ...station, name: '天河\ud800站' }), 'name');
  assert.equal((await tp.api('GET', '/api/v1/stations/cc-1')).status, 404, 'nothing stored');
  assert.equal((await tp.api('POST', '/api/v1/stations', station)).status, 201);
  refused(await tp.api('PATCH', '/api/v1/stations/cc-1', { name: 'x\u001by' }), 'name');
  assert.equal((await tp.api('GET', '/api/v1/stations/cc-1')).body.station.name, '天河空气站');
});

test('rule names and subscription names with control characters are refused (400 naming `name`)', async () => {
  refused(await tp.api('POST', '/api/v1/rules', { id: 'cc-rule', name: 'PM2.5\u0007超标', kind: 'threshold', metric: 'pm25', op: 'above', levels: { yellow: 75 } }), 'name');
  refused(await tp.api('POST', '/api/v1/subscriptions', { name: '应急\u0000中心', url: 'https://example.org/hook', secret: 'a-webhook-secret-of-24-chars!' }), 'name');
});

test('acknowledgement notes with control characters are refused (400 naming `note`); line breaks are fine', async () => {
  refused(await tp.api('POST', '/api/v1/alerts/no-such-alert/ack', { note: '已处理\u0000' }), 'note');
  assert.equal((await tp.api('POST', '/api/v1/alerts/no-such-alert/ack', { note: '已处理\n第二行' })).status, 404, 'a valid note reaches the lookup');
});
