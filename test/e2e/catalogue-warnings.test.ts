/**
 * Warnings of the catalogue's new domains end to end: real MQTT devices, the
 * platform's rule engine and its alert API — the default rules seeded for noise, pollution
 * sources, rivers, rain and geohazards fire from the stations' own attributes (zone class,
 * permit limits and reference O2, 警戒/保证水位, a landslide point's constant-stage rate).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const H = 3_600_000;
/** Yesterday at `hh`:00 China Standard Time, as epoch ms. */
const cstYesterday = (hh: number): number => {
  const d = new Date(Date.now() - 86_400_000 + 8 * H);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hh) - 8 * H;
};

async function device(station: Record<string, unknown> & { id: string }): Promise<MqttClient> {
  const cred = await tp.register({ department: 'eco-env', ...station });
  return tp.connect(cred.username, cred.password);
}

async function send(client: MqttClient, id: string, seq: number, ts: number, values: Record<string, number>): Promise<void> {
  await client.publishAsync(`shanshui/v1/${id}/up/readings`, JSON.stringify({ seq, ts, values }), { qos: 1 });
}

async function alertOf(station: string, rule: string): Promise<{ level: string; message: string; value: number }> {
  return eventually(async () => {
    const res = await tp.api('GET', `/api/v1/alerts?station=${station}`);
    return (res.body.items as Array<{ ruleId: string; level: string; message: string; value: number }>).find((a) => a.ruleId === rule);
  }, `alert ${rule} of ${station}`, 15_000);
}

test('the catalogue domains come with their default rules', async () => {
  const res = await tp.api('GET', '/api/v1/rules?limit=1000');
  const ids = (res.body.items as Array<{ id: string }>).map((r) => r.id);
  for (const id of ['default-noise-zone', 'default-pollution-permit', 'default-river-flood', 'default-meteorology-rainstorm', 'default-geohazard-deformation', 'default-geohazard-rainfall']) {
    assert.ok(ids.includes(id), id);
  }
});

test('noise: zone 2 by day, LAeq 65.5 dB(A) is 5.5 over the 60 limit → yellow; at night a sudden Lmax over limit + 15 → yellow (GB 3096)', async () => {
  const day = await device({ id: 'noise-day', domain: 'noise', attributes: { noiseZone: '2' } });
  await send(day, 'noise-day', 1, cstYesterday(12), { laeq: 65.5, lmax: 80 });
  const a = await alertOf('noise-day', 'default-noise-zone');
  assert.equal(a.level, 'yellow');
  assert.match(a.message, /昼间等效声级 65\.5 dB\(A\)，2 类声环境功能区昼间限值 60 dB\(A\)，超标 5\.5 dB\(A\)/);
  const night = await device({ id: 'noise-night', domain: 'noise', attributes: { noiseZone: '2' } });
  await send(night, 'noise-night', 1, cstYesterday(2), { laeq: 48, lmax: 66 });
  const n = await alertOf('noise-night', 'default-noise-zone');
  assert.equal(n.level, 'yellow');
  assert.match(n.message, /夜间突发噪声 Lmax 66 dB\(A\)/);
  // A daily report sent at noon: Ln is judged against the night limit (45 in zone 1), Ld against the day's (55).
  const daily = await device({ id: 'noise-daily', domain: 'noise', attributes: { noiseZone: '1' } });
  await send(daily, 'noise-daily', 1, cstYesterday(12), { ld: 54, ln: 56.5 });
  const d = await alertOf('noise-daily', 'default-noise-zone');
  assert.equal(d.level, 'orange', 'Ln 11.5 dB(A) over the night limit');
  assert.match(d.message, /夜间等效声级 Ln 56\.5 dB\(A\)，1 类区夜间限值 45 dB\(A\)，超标 11\.5 dB\(A\)/);
});

test('pollution source: SO2 measured 30 mg/m³ at O2 11 % is 45 折算 at reference 6 % — over the permit limit 35 → yellow (超标)', async () => {
  const stack = await device({ id: 'stack-w', domain: 'pollution_source', profile: 'flue-gas-cems', attributes: { o2Reference: 6, limit_so2: 35, limit_nox: 100 } });
  await send(stack, 'stack-w', 1, Date.now() - 60_000, { o2: 11, so2: 30, nox: 50 });
  const a = await alertOf('stack-w', 'default-pollution-permit');
  assert.equal(a.level, 'yellow');
  assert.match(a.message, /二氧化硫折算浓度 45 mg\/m³，许可排放限值 35 mg\/m³，超标 28\.6%/);
});

test('river: above 保证水位 → orange; above the historic maximum → red', async () => {
  const gauge = await device({ id: 'river-w', domain: 'river', department: 'water', attributes: { warningLevel: 7.5, guaranteeLevel: 9, historicMaxLevel: 9.8 } });
  const t = Date.now() - 10 * 60_000;
  await send(gauge, 'river-w', 1, t, { water_level: 9.1 });
  assert.equal((await alertOf('river-w', 'default-river-flood')).level, 'orange');
  await send(gauge, 'river-w', 2, t + 60_000, { water_level: 9.85 });
  await eventually(async () => (await alertOf('river-w', 'default-river-flood')).level === 'red', 'escalated to red', 15_000);
});

test('rain: 60 mm within 3 hours → the orange 暴雨预警信号; 100 mm in 3 hours → red', async () => {
  const gauge = await device({ id: 'rain-w', domain: 'meteorology', department: 'meteo' });
  const t = Date.now() - 3 * H;
  await send(gauge, 'rain-w', 1, t, { rainfall: 20 });
  await send(gauge, 'rain-w', 2, t + H, { rainfall: 20 });
  await send(gauge, 'rain-w', 3, t + 2 * H, { rainfall: 20 });
  const a = await alertOf('rain-w', 'default-meteorology-rainstorm');
  assert.equal(a.level, 'orange');
  assert.match(a.message, /3 小时 60 mm/);
  await send(gauge, 'rain-w', 4, t + 2.5 * H, { rainfall: 45 });
  await eventually(async () => (await alertOf('rain-w', 'default-meteorology-rainstorm')).level === 'red', 'red signal', 15_000);
});

test('geohazard: displacement accelerating to a tangent angle ≥ 89° → red (临滑); rain reaching 50 mm in 24 h → the blue rainfall warning', async () => {
  const point = await device({ id: 'slide-w', domain: 'geohazard', department: 'natres', attributes: { constantRateMmPerDay: 0.5 } });
  const t = Date.now() - 10 * H;
  // Hourly for eight hours: creeping at about the point's 0.5 mm/day, then taking off.
  const series = [0, 0.02, 0.04, 0.06, 0.08, 1.5, 5, 12, 25];
  for (const [i, mm] of series.entries()) await send(point, 'slide-w', i + 1, t + i * H, { displacement: mm, rainfall: i < 5 ? 12.5 : 0 });
  const a = await alertOf('slide-w', 'default-geohazard-deformation');
  assert.equal(a.level, 'red');
  assert.match(a.message, /改进切线角 89\.\d°（临滑）/);
  const r = await alertOf('slide-w', 'default-geohazard-rainfall');
  assert.equal(r.level, 'blue');
  assert.match(r.message, /24 小时累计降雨 50 mm，达到监测点降雨预警阈值/, 'opened by the reading that reached 50 mm');
});
