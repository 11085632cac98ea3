/** /api/v1/alerts through inject(): alerts fired by the real alert lifecycle on a real store (no socket, no InfluxDB). */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
const ids: string[] = [];
beforeAll(async () => {
  p = await injectPlatform();
  const rule = (await p.call('POST', '/api/v1/rules', { id: 'ar-pm25', name: 'PM2.5 过高', kind: 'threshold', metric: 'pm25', op: 'above', levels: { red: 200 } })).json().rule;
  for (let i = 1; i <= 3; i++) {
    const station = (await p.call('POST', '/api/v1/stations', { id: `ar-air-${i}`, name: `站 ${i}`, domain: 'air', lat: 23, lon: 113, region: '440106', department: i === 3 ? 'water' : 'eco-env' })).json().station;
    const event = await p.built.warnings.lifecycle.apply({ station, rule, from: null, to: 'red', value: 250 + i, condition: 'PM2.5 > 200', at: Date.UTC(2026, 0, 1, 8, i) });
    ids.push(event!.alertId);
  }
});
afterAll(async () => {
  await p?.stop();
});

test('list: newest first, filtered, paged by cursor', async () => {
  const all = (await p.call('GET', '/api/v1/alerts')).json();
  expect(all.items.map((a: { stationId: string }) => a.stationId)).toEqual(['ar-air-3', 'ar-air-2', 'ar-air-1']);
  expect((await p.call('GET', '/api/v1/alerts?department=water')).json().items.map((a: { stationId: string }) => a.stationId)).toEqual(['ar-air-3']);
  const first = (await p.call('GET', '/api/v1/alerts?limit=2')).json();
  expect(first.items).toHaveLength(2);
  const second = (await p.call('GET', `/api/v1/alerts?limit=2&cursor=${first.next}`)).json();
  expect(second.items.map((a: { stationId: string }) => a.stationId)).toEqual(['ar-air-1']);
  expect(second.next).toBeNull();
  const bad = await p.call('GET', '/api/v1/alerts?level=purple');
  expect(bad.statusCode).toBe(400);
  expect(bad.json().error.field).toBe('level');
});

test('show with events; acknowledge names the person on duty; a department token sees only its own', async () => {
  const shown = (await p.call('GET', `/api/v1/alerts/${ids[0]}`)).json();
  expect(shown.events.map((e: { type: string }) => e.type)).toEqual(['firing']);
  const ack = await p.call('POST', `/api/v1/alerts/${ids[0]}/ack`, { by: '值班员张三' });
  expect(ack.statusCode).toBe(200);
  expect(ack.json().alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin（值班员张三）' });
  expect((await p.call('POST', `/api/v1/alerts/${ids[1]}/ack`)).statusCode).toBe(200);
  const water = (await p.call('POST', '/api/v1/tokens', { name: '水务', role: 'viewer', departments: ['water'] })).json().token as string;
  expect((await p.call('GET', '/api/v1/alerts', undefined, water)).json().items).toHaveLength(1);
  const hidden = await p.call('GET', `/api/v1/alerts/${ids[0]}`, undefined, water);
  expect(hidden.statusCode).toBe(404);
  expect(hidden.json().error.code).toBe('API_ERR_NOT_FOUND');
});
