/**
 * The HJ 212-2017 code tables end to end (docs/standards/hj212-codes.md): real TCP
 * uploads to a real edge agent, through the platform (aedes + ingest) into a real influxd.
 * - every code of the tables arrives as the InfluxDB field of its catalogue metric, and that
 *   metric's unit is the table's unit (the Cou total's unit is the table's Cou unit);
 * - CN 2051 minute, 2061 hour and 2031 day data keep Avg, Min, Max and Cou as separate fields,
 *   plus the 折算 ZsAvg/ZsMin/ZsMax (HJ 212-2017 §6.6);
 * - an unknown code is filed as a dead letter of that field with its code, while the known
 *   codes of the same upload are stored.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '@shanshui/ingest';
import { HJ212_CODES, hj212CodeTableFor, metricSpec } from '@shanshui/models';
import type { Domain } from '@shanshui/models';
import { encodeHj212Packet, formatHj212Time } from '@shanshui/edge-agent/protocols';
import { startRestartablePlatform } from '../support/restartable-platform.ts';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { eventually, eventuallyEqual } from '../support/test-platform.ts';
import { agentIn, provisionedAgentDir } from '../support/agent-folder.ts';

let tp: RestartablePlatform;
let port: number;
let socket: net.Socket;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  tp = await startRestartablePlatform();
  const dir = await provisionedAgentDir(tp, cleanups, { id: 'gw-ps', domain: 'pollution_source', department: 'eco-env', attributes: { o2Reference: 6 } });
  await tp.api.register({ id: 'ps-noise', domain: 'noise', department: 'eco-env', gatewayId: 'gw-ps', attributes: { noiseZone: '2' } });
  await tp.api.register({ id: 'ps-river', domain: 'water', department: 'eco-env', gatewayId: 'gw-ps' });
  await tp.api.register({ id: 'ps-air', domain: 'air', department: 'eco-env', gatewayId: 'gw-ps' });
  const agent = await agentIn(cleanups, dir);
  port = await freePort();
  const stations = { 'MN-PS': 'gw-ps', 'MN-NOISE': 'ps-noise', 'MN-RIVER': 'ps-river', 'MN-AIR': 'ps-air' };
  const domains = { 'MN-PS': 'pollution_source', 'MN-NOISE': 'noise', 'MN-RIVER': 'water', 'MN-AIR': 'air' };
  const put = await tp.api.call('PUT', '/api/v1/stations/gw-ps/config', { version: 1, sources: [{ kind: 'hj212', port, host: '127.0.0.1', stations, domains }] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await eventually(() => agent.config().version === 1, 'the agent running config 1', 30_000);
  socket = net.connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
}, 120_000);

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  await tp?.close();
});

type Factors = Record<string, Record<string, string | number>>;

function upload(mn: string, cn: string, t: Date, factors: Factors): void {
  const st = mn === 'MN-NOISE' ? '23' : mn === 'MN-PS' ? '31' : '22';
  socket.write(encodeHj212Packet({ qn: formatHj212Time(t, 480, true), st, cn, pw: '123456', mn, flag: 4, cp: { dataTime: formatHj212Time(t), factors } }));
}

/** Sends `factors` in uploads of at most `per` factors (a packet must stay under the length limit). */
function uploadInChunks(mn: string, cn: string, t: Date, factors: Factors, per = 6): void {
  const entries = Object.entries(factors);
  for (let i = 0; i < entries.length; i += per) upload(mn, cn, t, Object.fromEntries(entries.slice(i, i + per)));
}

test('every code of the HJ 212-2017 tables round-trips from a packet to an InfluxDB field with its catalogue unit', { timeout: 180_000 }, async () => {
  const t = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
  // Pollution sources carry every a/w code of the appendix; noise every L code.
  const plan: Array<{ mn: string; domain: Domain; codes: string[] }> = [
    { mn: 'MN-PS', domain: 'pollution_source', codes: [...HJ212_CODES.values()].filter((c) => c.group !== 'noise' && c.code !== 'a05024' && c.code !== 'w01003').map((c) => c.code) },
    { mn: 'MN-NOISE', domain: 'noise', codes: [...HJ212_CODES.values()].filter((c) => c.group === 'noise').map((c) => c.code) },
    { mn: 'MN-AIR', domain: 'air', codes: ['a05024'] },
    { mn: 'MN-RIVER', domain: 'water', codes: ['w01003'] },
  ];
  const expected = new Map<string, Map<string, number>>();
  for (const [p, { mn, domain, codes }] of plan.entries()) {
    const factors: Factors = {};
    const fields = new Map<string, number>();
    for (const [i, code] of codes.entries()) {
      const info = HJ212_CODES.get(code)!;
      const v = Number((1 + i * 0.25 + p).toFixed(2));
      const f: Record<string, number> = { Avg: v, Min: Number((v * 0.5).toFixed(3)), Max: v * 2 };
      if (info.couUnit) f['Cou'] = v * 3;
      factors[code] = f;
      const metric = hj212CodeTableFor(domain).get(code);
      assert.ok(metric, `${code} is in the ${domain} table`);
      fields.set(metric.id, v);
      fields.set(`${metric.id}_min`, f['Min']!);
      fields.set(`${metric.id}_max`, f['Max']!);
      if (info.couUnit) fields.set(`${metric.id}_cou`, f['Cou']!);
      // The unit of the field is the table's unit (the catalogue is the one place units live).
      assert.equal(metricSpec(domain, metric.id)?.unit, info.unit, `${code} → ${domain}.${metric.id}: unit`);
      if (info.couUnit) assert.equal(metricSpec(domain, `${metric.id}_cou`)?.unit, info.couUnit, `${code} Cou unit`);
    }
    expected.set(`${domain}|${mn}`, fields);
    uploadInChunks(mn, '2061', t, factors);
  }
  const stationOf: Record<string, string> = { 'MN-PS': 'gw-ps', 'MN-NOISE': 'ps-noise', 'MN-AIR': 'ps-air', 'MN-RIVER': 'ps-river' };
  let count = 0;
  for (const [key, fields] of expected) {
    const [domain, mn] = key.split('|') as [Domain, string];
    const row = await eventually(async () => {
      const rows = await tp.query(`SELECT * FROM "${domain}" WHERE station = '${stationOf[mn]}' AND time = ${t.getTime()}ms`);
      const r = rows[0];
      return r && [...fields.keys()].every((f) => r[f] !== null && r[f] !== undefined) ? r : undefined;
    }, `every field of ${mn} in ${domain}`, 90_000);
    for (const [field, v] of fields) {
      assert.equal(row[field], v, `${domain}.${field}`);
      count++;
    }
  }
  assert.ok(count >= 3 * HJ212_CODES.size, `${count} fields checked for ${HJ212_CODES.size} codes`);
});

test('CN 2051 minute, 2061 hour and 2031 day data keep Avg, Min, Max, Cou and the 折算 ZsAvg/ZsMin/ZsMax as separate fields', { timeout: 120_000 }, async () => {
  const base = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
  const times = { '2051': new Date(base + 60_000), '2061': new Date(base + 3_600_000), '2031': new Date(base) } as const;
  for (const [cn, t] of Object.entries(times)) {
    upload('MN-PS', cn, t, { a21026: { Avg: 21.5, Min: 18.25, Max: 25.75, Cou: 1.234, ZsAvg: 24.5, ZsMin: 20.5, ZsMax: 29.5, Flag: 'N' }, a00000: { Avg: 95.5, Min: 90, Max: 99, Cou: 5730 } });
  }
  for (const [cn, t] of Object.entries(times)) {
    // Every field, not two of them: InfluxDB can show some fields of a point before the others.
    await eventuallyEqual(
      async () => (await tp.query(`SELECT so2, so2_min, so2_max, so2_cou, so2_zs, so2_zs_min, so2_zs_max, gas_flow, gas_flow_cou FROM pollution_source WHERE station = 'gw-ps' AND time = ${t.getTime()}ms`))[0],
      { time: t.getTime(), so2: 21.5, so2_min: 18.25, so2_max: 25.75, so2_cou: 1.234, so2_zs: 24.5, so2_zs_min: 20.5, so2_zs_max: 29.5, gas_flow: 95.5, gas_flow_cou: 5730 },
      `CN ${cn} fields`,
      60_000,
    );
  }
});

test('an unknown code is kept as a dead letter of that field, with its code; the known codes of the same upload are stored', { timeout: 120_000 }, async () => {
  const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
  upload('MN-PS', '2051', t, { a99999: { Avg: 12.5, Cou: 3 }, a21002: { Avg: 40.5, Flag: 'N' } });
  await eventually(async () => (await tp.query(`SELECT nox FROM pollution_source WHERE station = 'gw-ps' AND time = ${t.getTime()}ms`))[0]?.['nox'] === 40.5, 'the known code stored', 60_000);
  const dead = await eventually(async () => {
    const res = await tp.api.call('GET', '/api/v1/dead-letters?device=gw-ps');
    const items = (res.body.items as Array<{ code: string; reason: string }>).filter((d) => d.code === 'INGEST_ERR_FIELD_UNKNOWN');
    return items.length >= 2 ? items : undefined;
  }, 'two dead letters (Avg and Cou of a99999)', 60_000);
  const reasons = dead.map((d) => d.reason).join('\n');
  assert.match(reasons, /a99999-Avg=12\.5/);
  assert.match(reasons, /a99999-Cou=3/);
  assert.match(reasons, /MN MN-PS, CN 2051/);
  assert.match(reasons, /not in the station's code table/);
});
