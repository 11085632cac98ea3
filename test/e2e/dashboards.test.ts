/**
 * Every provisioned Grafana dashboard against a real InfluxDB holding simulator data, synthetic
 * alerts and edge-gateway heartbeats (three hours of them, plus one real agent's): each panel,
 * annotation and template-variable query is rendered as Grafana's InfluxDB datasource renders
 * it and must run and return rows of the shape its panel needs.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { createBroker } from '@shanshui/broker';
import { InfluxHttp, acceptDeviceMessage, freePort, seriesRows, startManagedInfluxd, toLineProtocol } from '@shanshui/ingest';
import type { InfluxSeries, ManagedInfluxd } from '@shanshui/ingest';
import { AGENT_VERSION, DEMO_DEPARTMENT_OF, createAgent, createSimulationState, simulateValues } from '@shanshui/edge-agent';
import { AQI_BREAKPOINTS, DOMAINS, DOMAIN_SPECS, addCorrectedValues, WARNING_LEVEL_INFO, iaqi, readingToPoint, stationInfoPoint, upTopic } from '@shanshui/models';
import type { AqiPollutant, Domain, PointData, WarningLevel } from '@shanshui/models';
import { AQI_COLUMNS, extractQueries, iaqiExpression, interpolate, leftoverVariables } from '@shanshui/dashboards';
import type { Dashboard, Interpolation } from '@shanshui/dashboards';
import { tempDir } from '../support/temp-dir.ts';

const JSON_DIR = path.join(import.meta.dirname, '..', '..', 'dashboards', 'provisioning', 'dashboards', 'json');
const DEPT: Readonly<Record<Domain, string>> = DEMO_DEPARTMENT_OF;
const REGIONS = ['440106', '440111', '440113'];
const NOW = Date.now();
const MINUTE = 60_000;

interface TestStation {
  readonly id: string;
  readonly domain: Domain;
  readonly region: string;
  readonly department: string;
}
const STATIONS: TestStation[] = DOMAINS.flatMap((domain, d) =>
  REGIONS.map((region, r) => ({ id: `${domain.replace('_', '-')}-${r + 1}`, domain, region, department: DEPT[domain], index: d * 3 + r })),
);
/** Registered, then deleted: must not appear on the map. */
const RETIRED: TestStation = { id: 'air-retired', domain: 'air', region: '440106', department: 'eco-env' };

let influxd: ManagedInfluxd;
let influx: InfluxHttp;
let removeDir: () => Promise<void>;
let dashboards: Array<{ file: string; d: Dashboard }>;

function alertPoint(s: TestStation, rule: string, level: WarningLevel, state: string, ts: number, id: string, message: string): PointData {
  return {
    measurement: 'alerts',
    tags: { station: s.id, domain: s.domain, region: s.region, dept: s.department, rule, level, state },
    fields: { level_rank: WARNING_LEVEL_INFO[level].rank, message, value: 1, alert_id: id },
    ts,
  };
}

const byId = (id: string): TestStation => STATIONS.find((s) => s.id === id)!;


/**
 * Edge gateways among the test stations, each with the heartbeats its agent would have sent
 * over the last three hours (edge-agent/src/agent.ts `statusFields`, every 5 minutes, only
 * while connected) and its last will. They go through ingest's own up/status conversion
 * (acceptDeviceMessage), so the stored fields, types and tags are the platform's.
 */
interface TestGateway {
  readonly station: string;
  readonly profile: '5g' | 'nbiot';
  readonly sources: (t: number) => Record<string, string | number>;
  /** Buffer depth at time t. */
  readonly depth: (t: number) => number;
  /** [from, to) without uplink: no heartbeat gets through; the will marks the start. */
  readonly outage?: readonly [number, number];
  readonly dropped?: number;
  readonly parked?: string;
}
const HEARTBEAT_MS = 5 * MINUTE;
const hj212 = (badCrc: number): Record<string, string | number> => ({ source_hj212_connections: 2, source_hj212_packets: 340, source_hj212_readings: 2720, source_hj212_bad_crc: badCrc, source_hj212_bad_length: 0, source_hj212_bad_packet: 1, source_hj212_bad_password: 0, source_hj212_garbage: 0, source_hj212_readings_unmapped: 0 });
const GATEWAYS: TestGateway[] = [
  // A healthy HJ 212 gateway whose logger line is noisy: bad CRCs climb.
  { station: 'air-1', profile: '5g', sources: (t) => hj212(Math.floor((t - (NOW - 180 * MINUTE)) / (30 * MINUTE))), depth: () => 0 },
  // HJ 212 gateway with a child station the platform refuses (parked) and a small steady backlog.
  { station: 'water-2', profile: '5g', sources: () => hj212(0), depth: () => 120, parked: 'water-child-9' },
  // SL 651 RTU behind NB-IoT: link lost for an hour, backlog piled up, drained after reconnecting.
  {
    station: 'reservoir-1',
    profile: 'nbiot',
    sources: () => ({ source_sl651_connections: 1, source_sl651_reports: 96, source_sl651_readings: 480, source_sl651_bad_crc: 2, source_sl651_bad_header: 0, source_sl651_bad_report: 0, source_sl651_bad_password: 0 }),
    outage: [NOW - 120 * MINUTE, NOW - 60 * MINUTE],
    depth: (t) => (t < NOW - 60 * MINUTE ? 10 : Math.max(10, 6000 - Math.floor((t - (NOW - 60 * MINUTE)) / MINUTE) * 300)),
  },
  // OPC-UA gateway whose disk quota overflowed once: readings dropped, counted.
  { station: 'soil-2', profile: '5g', sources: () => ({ source_opcua_state: 'connected', source_opcua_notifications: 5400, source_opcua_reconnects: 1, source_opcua_subscription_rebuilds: 0 }), depth: () => 40, dropped: 2500 },
  // Down now: the will arrived 20 minutes ago; its backlog (last known 15,500) keeps growing.
  { station: 'forest-fire-3', profile: '5g', sources: () => ({ source_simulated_readings: 2000, source_simulated_errors: 0 }), outage: [NOW - 20 * MINUTE, NOW + MINUTE], depth: (t) => Math.floor((t - (NOW - 180 * MINUTE)) / MINUTE) * 100 },
];

/** An up/events message as ingest stores it (acceptDeviceMessage): `type` a tag, never also a field. */
function deviceEventLines(stationId: string, body: Record<string, unknown>): string {
  const s = byId(stationId);
  const station = { ...s, name: `测试${s.id}`, lat: 23, lon: 113, createdAt: new Date(NOW - 2 * 86_400_000).toISOString() };
  const out = acceptDeviceMessage(station, 'events', upTopic(s.id, 'events'), Buffer.from(JSON.stringify(body)), NOW);
  assert.equal(out.deadLetter, undefined, `event of ${s.id} accepted`);
  return out.lines;
}

function gatewayStatusLines(g: TestGateway): string {
  const s = byId(g.station);
  const station = { ...s, name: `测试${s.id}`, lat: 23, lon: 113, createdAt: new Date(NOW - 2 * 86_400_000).toISOString() };
  const accept = (body: Record<string, unknown>): string => {
    const out = acceptDeviceMessage(station, 'status', upTopic(s.id, 'status'), Buffer.from(JSON.stringify(body)), NOW);
    assert.equal(out.deadLetter, undefined, `heartbeat of ${s.id} accepted`);
    return out.lines;
  };
  const started = NOW - 200 * MINUTE;
  let connects = 1;
  const lines: string[] = [];
  for (let t = NOW - 180 * MINUTE; t < NOW; t += HEARTBEAT_MS) {
    if (g.outage && t >= g.outage[0] && t < g.outage[1]) continue;
    if (g.outage && t >= g.outage[1]) connects = 2;
    const depth = g.depth(t);
    lines.push(
      accept({
        ts: t,
        online: true,
        agent_version: AGENT_VERSION,
        uptime_sec: Math.round((t - started) / 1000),
        config_version: 3,
        buffer_depth: depth,
        buffer_bytes: depth * 180,
        buffer_quota_bytes: 5_000_000,
        buffer_dropped: g.dropped ?? 0,
        readings_taken: Math.round((t - started) / 1000),
        uplink_profile: g.profile,
        uplink_connects: connects,
        uplink_disconnects: connects - 1,
        ...(g.parked ? { uplink_parked_stations: g.parked } : {}),
        rss_bytes: 90_000_000,
        ...g.sources(t),
      }),
    );
    if (g.outage && t + HEARTBEAT_MS >= g.outage[0] && t < g.outage[0]) lines.push(accept({ ts: g.outage[0], online: false }));
  }
  return lines.join('\n');
}

/** A real edge agent (HJ 212 listener) heartbeating, then stopping, for one of the test stations. */
const REAL_GATEWAY = 'agriculture-3';

/**
 * A real agent connects to the platform's broker (createBroker: authentication, topic ACL,
 * QoS 1) whose accept hook does what the platform's does with up/status: acceptDeviceMessage,
 * then the write. Waits for its first heartbeat, then stops it (a clean stop sends
 * `{"online":false}`), so the dashboards see a real heartbeat and a real offline state, whatever
 * the agent's fields become.
 */
async function realGatewayHeartbeat(dir: string): Promise<void> {
  const s = byId(REAL_GATEWAY);
  const station = { ...s, name: `测试${s.id}`, lat: 23, lon: 113, createdAt: new Date(NOW - 2 * 86_400_000).toISOString() };
  const password = 'real-gateway-secret-0123456789';
  let pending = Promise.resolve();
  const stored: string[] = [];
  const broker = await createBroker(
    {
      authenticate: async (id, secret) => id === s.id && secret === password,
      acceptPublish: async (stationId, topic, payload) => {
        if (topic.kind !== 'status' && topic.kind !== 'events') return;
        const out = acceptDeviceMessage(station, topic.kind, upTopic(stationId, topic.kind), payload, Date.now());
        if (!out.lines) return;
        pending = pending.then(() => influx.write(out.lines));
        await pending;
        if (topic.kind === 'status') stored.push(out.lines);
      },
    },
    {},
    pino({ level: 'silent' }),
  );
  const server = net.createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const mqttUrl = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const agent = await createAgent({
      dir,
      credentials: { stationId: s.id, clientId: s.id, username: s.id, password, mqtt: { tcp: mqttUrl }, domain: s.domain },
      config: { version: 1, heartbeatSec: 60, sources: [{ kind: 'hj212', port: await freePort(), host: '127.0.0.1' }] },
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
    });
    try {
      for (const deadline = Date.now() + 20_000; !stored.some((l) => l.includes('buffer_depth=')); ) {
        if (Date.now() > deadline) assert.fail('the real agent\'s heartbeat never arrived');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await agent.stop();
    }
    assert.ok(stored.length >= 2 && !stored[stored.length - 1]!.includes('buffer_depth='), 'a clean stop reports online=false');
  } finally {
    await broker.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

beforeAll(async () => {
  const tmp = await tempDir('shanshui-dash-');
  removeDir = tmp.remove;
  influxd = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0, auth: false });
  influx = new InfluxHttp({ url: influxd.url, database: 'shanshui' });
  await influx.ensureDatabase();

  const points: PointData[] = [];
  STATIONS.forEach((s, i) => {
    points.push(stationInfoPoint({ ...s, name: `测试${s.id}`, lat: 23 + i / 100, lon: 113.2 + i / 100 }, true, NOW - 2 * 86_400_000));
    const state = createSimulationState(i);
    for (let t = NOW - 180 * MINUTE; t <= NOW - MINUTE; t += MINUTE) {
      const values = Object.fromEntries(Object.entries(simulateValues(s.domain, state, t)).map(([k, v]) => [k, { v, q: 'ok' as const }]));
      // A stack's 折算 values as ingest adds them (reference O2 6 %).
      const reading = s.domain === 'pollution_source' ? addCorrectedValues({ ts: t, values }, DOMAIN_SPECS.pollution_source.metrics, 6) : { ts: t, values };
      points.push(readingToPoint(s, reading as Parameters<typeof readingToPoint>[1]));
    }
    points.push({ measurement: 'device_status', tags: { station: s.id, domain: s.domain, region: s.region, dept: s.department }, fields: { online: i % 5 === 0 ? 0 : 1, firmware: 'sim-1.0' }, ts: NOW - 30 * MINUTE });
  });
  points.push(stationInfoPoint({ ...RETIRED, name: '已撤销站', lat: 23.5, lon: 113.5 }, true, NOW - 3 * 86_400_000));
  points.push(stationInfoPoint({ ...RETIRED, name: '已撤销站', lat: 23.5, lon: 113.5 }, false, NOW - 86_400_000));
  // Alerts, one point per state change:
  // air-1: yellow fired, escalated to orange → active, rank 3.
  points.push(alertPoint(byId('air-1'), 'pm25-threshold', 'yellow', 'firing', NOW - 90 * MINUTE, 'a1', 'PM2.5 超标（黄色）'));
  points.push(alertPoint(byId('air-1'), 'pm25-threshold', 'orange', 'escalated', NOW - 60 * MINUTE, 'a1', 'PM2.5 严重超标（橙色）'));
  // water-2: red fired, then resolved → not active.
  points.push(alertPoint(byId('water-2'), 'water-class', 'red', 'firing', NOW - 80 * MINUTE, 'a2', '水质劣Ⅴ类'));
  points.push(alertPoint(byId('water-2'), 'water-class', 'red', 'resolved', NOW - 40 * MINUTE, 'a2', '水质恢复'));
  // soil-1: blue fired and acknowledged → active, rank 1.
  points.push(alertPoint(byId('soil-1'), 'drought', 'blue', 'firing', NOW - 50 * MINUTE, 'a3', '轻旱'));
  points.push(alertPoint(byId('soil-1'), 'drought', 'blue', 'acknowledged', NOW - 45 * MINUTE, 'a3', '轻旱'));
  // reservoir-3: red fired five days ago, still open (outside the dashboard's time range) → active, rank 4.
  points.push(alertPoint(byId('reservoir-3'), 'flood-limit', 'red', 'firing', NOW - 5 * 86_400_000, 'a4', '超汛限水位'));
  // forest-fire-1: a second, older rule on the same station: orange, still firing.
  points.push(alertPoint(byId('forest-fire-1'), 'fire-danger', 'orange', 'firing', NOW - 30 * MINUTE, 'a5', '高火险'));
  // agriculture-2: yellow, still firing → active, rank 2.
  points.push(alertPoint(byId('agriculture-2'), 'soil-moisture', 'yellow', 'firing', NOW - 25 * MINUTE, 'a6', '土壤偏干'));
  // water-3: blue, still firing → active, rank 1.
  points.push(alertPoint(byId('water-3'), 'nh3n-threshold', 'blue', 'firing', NOW - 15 * MINUTE, 'a8', '氨氮偏高'));
  // reservoir-1: yellow fired and resolved inside the range → annotations only.
  points.push(alertPoint(byId('reservoir-1'), 'inflow-rate', 'yellow', 'firing', NOW - 70 * MINUTE, 'a7', '入库流量陡增'));
  points.push(alertPoint(byId('reservoir-1'), 'inflow-rate', 'yellow', 'resolved', NOW - 35 * MINUTE, 'a7', '入库流量回落'));
  // One active alert in each catalogue domain.
  points.push(alertPoint(byId('noise-1'), 'default-noise-zone', 'blue', 'firing', NOW - 25 * MINUTE, 'a9', '昼间等效声级超标'));
  points.push(alertPoint(byId('pollution-source-1'), 'default-pollution-permit', 'yellow', 'firing', NOW - 24 * MINUTE, 'a10', '二氧化硫折算浓度超标'));
  points.push(alertPoint(byId('river-1'), 'default-river-flood', 'blue', 'firing', NOW - 23 * MINUTE, 'a11', '超警戒水位'));
  points.push(alertPoint(byId('meteorology-1'), 'default-meteorology-rainstorm', 'orange', 'firing', NOW - 22 * MINUTE, 'a12', '暴雨橙色预警信号'));
  points.push(alertPoint(byId('geohazard-1'), 'default-geohazard-deformation', 'yellow', 'firing', NOW - 21 * MINUTE, 'a13', '中加速变形'));
  for (let i = 0; i < points.length; i += 5000) await influx.write(toLineProtocol(points.slice(i, i + 5000)));
  for (const g of GATEWAYS) await influx.write(gatewayStatusLines(g));
  await influx.write(deviceEventLines('air-1', { ts: NOW - 20 * MINUTE, type: 'door_open', detail: '机柜门打开' }));
  await realGatewayHeartbeat(path.join(tmp.dir, 'agent'));

  dashboards = [];
  for (const file of (await readdir(JSON_DIR)).filter((f) => f.endsWith('.json')).sort()) {
    dashboards.push({ file, d: JSON.parse(await readFile(path.join(JSON_DIR, file), 'utf8')) as Dashboard });
  }
});

afterAll(async () => {
  await influxd?.stop();
  await removeDir?.();
});

const ALL: Interpolation = { fromMs: NOW - 6 * 3_600_000, toMs: NOW, interval: '1m', selected: {} };
const NARROW: Interpolation = { ...ALL, selected: { dept: ['eco-env', 'agri'], region: ['440106'], domain: ['air', 'soil'], station: ['air-1', 'soil-1'] } };

async function run(q: string): Promise<InfluxSeries[]> {
  return influx.query(q, { method: 'POST' });
}
const rowsOf = (series: InfluxSeries[]): Array<Record<string, unknown>> => series.flatMap((s) => seriesRows(s).map((r) => ({ ...s.tags, ...r })));

function findQuery(file: string, titlePrefix: string, refId = 'A'): string {
  const entry = dashboards.find((x) => x.file === file);
  assert.ok(entry, `${file} is provisioned`);
  const q = extractQueries(entry.d).find((e) => e.kind === 'panel' && e.where.startsWith(titlePrefix) && e.where.endsWith(`[${refId}]`));
  assert.ok(q, `${file}: panel "${titlePrefix}" [${refId}]`);
  return interpolate(q.query, entry.d.templating.list, ALL);
}

test('every panel, annotation and variable query of every dashboard runs and returns rows (All selected)', async () => {
  assert.ok(dashboards.length >= 7, 'overview, five domain dashboards and platform health');
  let count = 0;
  for (const { file, d } of dashboards) {
    for (const e of extractQueries(d)) {
      const q = interpolate(e.query, d.templating.list, ALL);
      assert.deepEqual(leftoverVariables(q), [], `${file} ${e.where}: every macro rendered`);
      const series = await run(q).catch((err: unknown) => assert.fail(`${file} ${e.where}: ${String(err)}\n${q}`));
      assert.ok(rowsOf(series).length > 0, `${file} ${e.where} returned no rows:\n${q}`);
      count++;
    }
  }
  assert.ok(count > 80, `ran ${count} queries`);
});

test('with multi-value selections rendered as (a|b) regexes every query still runs, and filters', async () => {
  for (const { file, d } of dashboards) {
    for (const e of extractQueries(d)) {
      const q = interpolate(e.query, d.templating.list, NARROW);
      const series = await run(q).catch((err: unknown) => assert.fail(`${file} ${e.where}: ${String(err)}\n${q}`));
      for (const row of rowsOf(series)) {
        if (typeof row['station'] === 'string' && e.kind === 'panel') assert.ok(['air-1', 'soil-1'].includes(row['station']), `${file} ${e.where}: station ${row['station']} filtered out`);
      }
    }
  }
  const overview = dashboards.find((x) => x.file === 'overview.json')!;
  const stationVar = overview.d.templating.list.find((v) => v.name === 'station')!;
  assert.equal(stationVar.type, 'query');
  const stations = rowsOf(await run(interpolate(stationVar.type === 'query' ? stationVar.query : '', overview.d.templating.list, NARROW))).map((r) => r['value']);
  // SHOW TAG VALUES cannot filter on the `active` field, so a retired station stays pickable.
  assert.deepEqual(stations.sort(), ['air-1', 'air-retired', 'soil-1'], 'station variable narrowed by dept, region and domain');
});

test('一张图: the station layer has numeric lat/lon, name and tags for each active station, joinable by station', async () => {
  const stations = rowsOf(await run(findQuery('overview.json', '一张图', 'A')));
  assert.equal(stations.length, STATIONS.length, 'every registered station once; the retired one is not on the map');
  for (const r of stations) {
    assert.equal(typeof r['lat'], 'number');
    assert.equal(typeof r['lon'], 'number');
    assert.ok((r['lat'] as number) > 22 && (r['lat'] as number) < 24);
    assert.match(String(r['name']), /^测试/);
    for (const tag of ['station', 'domain', 'dept', 'region']) assert.equal(typeof r[tag], 'string', tag);
    // The column the marker's dashboard link is made from (its value mappings give the domain's dashboard uid).
    assert.equal(r['board'], r['domain'], 'board carries the domain');
  }
  const ids = new Set(stations.map((r) => r['station']));
  const warnings = rowsOf(await run(findQuery('overview.json', '一张图', 'B')));
  assert.deepEqual(
    Object.fromEntries(warnings.map((r) => [r['station'], r['warning_rank']])),
    { 'air-1': 3, 'soil-1': 1, 'reservoir-3': 4, 'forest-fire-1': 3, 'agriculture-2': 2, 'water-3': 1, 'noise-1': 1, 'pollution-source-1': 2, 'river-1': 1, 'meteorology-1': 3, 'geohazard-1': 2 },
    'current level per station: escalation wins, resolved drops out, an old open alert stays',
  );
  assert.equal(warnings.find((r) => r['station'] === 'air-1')!['warning'], 'PM2.5 严重超标（橙色）');
  for (const r of warnings) assert.ok(ids.has(r['station']), `warning station ${String(r['station'])} joins a map station`);
  const counts = rowsOf(await run(findQuery('overview.json', '一张图', 'C')));
  assert.equal(counts.length, 11, 'warnings counted by station: one row per station with an active warning');
  // Latest values: one query per catalogue domain (D… for air … geohazard), the emergency overview shows them all.
  for (const refId of ['D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N']) {
    const latest = rowsOf(await run(findQuery('overview.json', '一张图', refId)));
    assert.equal(latest.length, 3, `latest values of ${refId}: one row per station of the domain`);
    for (const r of latest) {
      assert.ok(ids.has(r['station']));
      const values = Object.entries(r).filter(([k]) => !['time', 'station'].includes(k));
      assert.ok(values.length > 0 && values.every(([, v]) => typeof v === 'number'), `numeric latest values: ${JSON.stringify(r)}`);
    }
  }
});

test('一张图: active warnings by level, department and domain count the current state only', async () => {
  const level = async (title: string): Promise<number> => {
    const rows = rowsOf(await run(findQuery('overview.json', title)));
    return rows.length === 0 ? 0 : Number(Object.entries(rows[0]!).find(([k]) => k !== 'time')![1]);
  };
  assert.equal(await level('红色预警'), 1);
  assert.equal(await level('橙色预警'), 3);
  assert.equal(await level('黄色预警'), 3, 'agriculture-2, pollution-source-1, geohazard-1: air-1 yellow was superseded by its escalation');
  assert.equal(await level('蓝色预警'), 4);
  const byDept = rowsOf(await run(findQuery('overview.json', '有效预警 · 按部门')));
  assert.deepEqual(Object.fromEntries(byDept.map((r) => [r['dept'], r['n']])), { 'eco-env': 4, agri: 2, water: 2, forestry: 1, meteo: 1, natres: 1 });
  const byDomain = rowsOf(await run(findQuery('overview.json', '有效预警 · 按领域')));
  assert.deepEqual(Object.fromEntries(byDomain.map((r) => [r['domain'], r['n']])), { air: 1, water: 1, soil: 1, agriculture: 1, reservoir: 1, forest_fire: 1, noise: 1, pollution_source: 1, river: 1, meteorology: 1, geohazard: 1 });
  const active = rowsOf(await run(findQuery('overview.json', '有效预警（当前状态）')));
  assert.deepEqual(active.map((r) => r['alert_id']).sort(), ['a1', 'a10', 'a11', 'a12', 'a13', 'a3', 'a4', 'a5', 'a6', 'a8', 'a9']);
  const latest = rowsOf(await run(findQuery('overview.json', '最新预警动态')));
  assert.equal(latest.length, 16, 'every state change inside the time range (not the 5-day-old one)');
  assert.ok((latest[0]!['time'] as number) >= (latest[latest.length - 1]!['time'] as number), 'newest first');
});

test('alert annotations carry time, level, message and tags columns', async () => {
  for (const { file, d } of dashboards) {
    for (const a of d.annotations.list) {
      const q = a.target?.query ?? a.query;
      if (!q) continue;
      assert.equal(a.query, a.target?.query, `${file}: query and target.query agree`);
      const rows = rowsOf(await run(interpolate(q, d.templating.list, ALL)));
      assert.ok(rows.length > 0, `${file} annotations`);
      for (const r of rows) {
        assert.equal(typeof r['time'], 'number');
        for (const col of [a.textColumn, a.titleColumn, ...(a.tagsColumn ?? '').split(',')]) if (col) assert.equal(typeof r[col], 'string', `${file} ${col}`);
      }
    }
  }
});

test('the in-InfluxQL IAQI equals models iaqi() (HJ 633) across every breakpoint of every pollutant', async () => {
  const table: Record<(typeof AQI_COLUMNS)[number]['metric'], AqiPollutant> = { pm25: 'pm25_24h', pm10: 'pm10_24h', so2: 'so2_1h', no2: 'no2_1h', co: 'co_1h', o3: 'o3_1h' };
  const lines: PointData[] = [];
  const probes: Record<string, number[]> = {};
  for (const { metric } of AQI_COLUMNS) {
    const bps = metric === 'so2' ? [...AQI_BREAKPOINTS.so2_1h, ...AQI_BREAKPOINTS.so2_24h] : AQI_BREAKPOINTS[table[metric]];
    const values = [...new Set(bps.flatMap((b) => [b, b + 0.1, Math.max(0, b - 0.1), b * 1.37]).concat([0, 7.5, 33.3, 3000]))].sort((a, b) => a - b);
    probes[metric] = values;
    values.forEach((v, i) => lines.push({ measurement: 'aqi_probe', tags: { metric }, fields: { c: v }, ts: NOW - 1000 * (i + 1) }));
  }
  await influx.write(toLineProtocol(lines));
  for (const { metric } of AQI_COLUMNS) {
    const rows = rowsOf(await run(`SELECT "c", ${iaqiExpression(metric, '"c"')} AS "iaqi" FROM "aqi_probe" WHERE "metric" = '${metric}'`));
    assert.equal(rows.length, probes[metric]!.length);
    for (const r of rows) {
      const c = r['c'] as number;
      // Real-time SO2 above 800 is scored on the 24 h table, as models' realtimeAqiInputs does.
      const pollutant: AqiPollutant = metric === 'so2' && c > 800 ? 'so2_24h' : table[metric];
      const expected = iaqi(pollutant, c);
      assert.equal(r['iaqi'], expected, `${metric} ${c}: InfluxQL ${String(r['iaqi'])} vs models ${String(expected)}`);
    }
  }
  const aqiRows = rowsOf(await run(findQuery('air.json', '各站实时 AQI')));
  assert.equal(aqiRows.length, 3);
  for (const r of aqiRows) for (const { column } of AQI_COLUMNS) assert.equal(typeof r[column], 'number', `${String(r['station'])} ${column}`);
  const episode = aqiRows.find((r) => r['station'] === 'air-1');
  assert.ok(episode, 'air-1 has an AQI row');
});

test('domain dashboards: time series are numeric per station; reservoir reference lines are the levels', async () => {
  for (const { file, d } of dashboards) {
    for (const e of extractQueries(d).filter((x) => x.kind === 'panel' && (x.panelType === 'timeseries' || x.panelType === 'state-timeline'))) {
      const series = await run(interpolate(e.query, d.templating.list, ALL));
      for (const s of series) {
        const numeric = s.values.filter((v) => typeof v[1] === 'number');
        assert.ok(numeric.length > 0, `${file} ${e.where}: numeric values in ${JSON.stringify(s.tags ?? {})}`);
        assert.ok(s.values.every((v) => typeof v[0] === 'number'), `${file} ${e.where}: epoch times`);
      }
    }
  }
  const ref = rowsOf(await run(findQuery('reservoir.json', '库水位与特征水位', 'B')));
  assert.ok(ref.length > 0);
  assert.ok(ref.every((r) => r['汛限水位'] === 103 && r['设计洪水位'] === 106.5 && r['校核洪水位'] === 108.2));
});

test('平台运行 · 设备事件: the event type is one column (a tag), as the platform stores it — no type_1', async () => {
  const rows = rowsOf(await run(findQuery('platform-health.json', '设备事件')));
  const door = rows.filter((r) => r['station'] === 'air-1' && r['type'] === 'door_open');
  assert.equal(door.length, 1, JSON.stringify(rows));
  assert.equal(door[0]!['detail'], '机柜门打开');
  assert.equal(door[0]!['time'], NOW - 20 * MINUTE);
  for (const r of rows) assert.ok(!('type_1' in r), `no type_1 column: ${JSON.stringify(r)}`);
  const fieldKeys = rowsOf(await run('SHOW FIELD KEYS FROM device_events')).map((r) => r['fieldKey']);
  assert.ok(!fieldKeys.includes('type'), `type is not a field: ${JSON.stringify(fieldKeys)}`);
});

test('平台运行 · 边缘网关: one row per gateway from its last heartbeat, the latest uplink state, backlog series and source counters', async () => {
  const file = 'platform-health.json';
  const gateways = [...GATEWAYS.map((g) => g.station), REAL_GATEWAY].sort();
  const heartbeats = rowsOf(await run(findQuery(file, '边缘网关', 'A')));
  assert.deepEqual(heartbeats.map((r) => r['station']).sort(), gateways, 'gateways only: stations whose status has no heartbeat fields are not listed');
  const hb = Object.fromEntries(heartbeats.map((r) => [r['station'], r]));
  for (const r of heartbeats) {
    assert.equal(typeof r['time'], 'number', 'last heartbeat time');
    assert.equal(typeof r['dept'], 'string');
    assert.equal(r['agent_version'], AGENT_VERSION);
    assert.match(String(r['uplink_profile']), /^(5g|nbiot)$/);
    for (const col of ['buffer_depth', 'buffer_used_pct', 'buffer_dropped', 'uplink_disconnects', 'uptime_sec']) assert.equal(typeof r[col], 'number', `${String(r['station'])} ${col}`);
  }
  assert.deepEqual(
    Object.fromEntries(GATEWAYS.map((g) => [g.station, hb[g.station]!['buffer_depth']])),
    { 'air-1': 0, 'water-2': 120, 'reservoir-1': 10, 'soil-2': 40, 'forest-fire-3': 15_500 },
    'the backlog of the last heartbeat; the gateway down for 20 minutes keeps its last known one',
  );
  assert.equal(hb['forest-fire-3']!['time'], NOW - 25 * MINUTE, 'a heartbeat time, not the will\'s');
  assert.equal(hb['air-1']!['time'], NOW - 5 * MINUTE);
  assert.ok(Math.abs((hb['forest-fire-3']!['buffer_used_pct'] as number) - (15_500 * 180 * 100) / 5_000_000) < 1e-9, 'quota use in %');
  assert.equal(hb['water-2']!['uplink_parked_stations'], 'water-child-9');
  assert.equal(hb['air-1']!['uplink_parked_stations'], null);
  assert.equal(hb['soil-2']!['buffer_dropped'], 2500);
  assert.equal(hb['reservoir-1']!['uplink_disconnects'], 1);
  assert.equal(hb['reservoir-1']!['dept'], 'water');
  assert.equal(hb[REAL_GATEWAY]!['dept'], 'agri', 'the real agent\'s heartbeat, tagged by ingest');
  assert.ok((hb[REAL_GATEWAY]!['time'] as number) >= NOW, 'sent just now');

  const online = rowsOf(await run(findQuery(file, '边缘网关', 'B')));
  const state = Object.fromEntries(online.map((r) => [r['station'], r['online']]));
  assert.deepEqual(
    Object.fromEntries(gateways.map((g) => [g, state[g]])),
    { 'air-1': 1, 'water-2': 1, 'reservoir-1': 1, 'soil-2': 1, 'forest-fire-3': 0, [REAL_GATEWAY]: 0 },
    'an uplink state to join on station for every gateway: the last will (or a clean stop) after the last heartbeat = offline; reconnected after an outage = online',
  );

  // The simulated heartbeats span the dashboard's time range; the real agent's came after it.
  const backlog = await run(findQuery(file, '网关缓存积压'));
  assert.deepEqual(backlog.map((s) => s.tags?.['station']).sort(), GATEWAYS.map((g) => g.station).sort(), 'one series per gateway');
  const reservoir = backlog.find((s) => s.tags?.['station'] === 'reservoir-1')!;
  const points = reservoir.values.map(([t, v]) => [t as number, v as number] as const);
  // Buckets start on whole minutes: the first heartbeat after the outage (NOW - 60 min) sits in the minute before.
  assert.ok(!points.some(([t]) => t > NOW - 120 * MINUTE && t < NOW - 61 * MINUTE), 'no heartbeat during the outage');
  assert.equal(Math.max(...points.map(([, v]) => v)), 6000, 'the backlog piled up in the outage, reported on reconnect');
  assert.equal(points[points.length - 1]![1], 10, 'and drained');

  const sources = Object.fromEntries(rowsOf(await run(findQuery(file, '网关数据源健康'))).map((r) => [r['station'], r]));
  assert.deepEqual(Object.keys(sources).sort(), gateways);
  assert.equal(sources['air-1']!['source_hj212_bad_crc'], 5, 'bad CRCs of the last heartbeat');
  assert.equal(sources['air-1']!['source_hj212_packets'], 340);
  assert.equal(sources['reservoir-1']!['source_sl651_bad_crc'], 2);
  assert.equal(sources['reservoir-1']!['source_hj212_bad_crc'], null);
  assert.equal(sources['soil-2']!['source_opcua_state'], 'connected');
  assert.equal(sources['soil-2']!['source_opcua_reconnects'], 1);
  for (const col of ['source_hj212_bad_crc', 'source_sl651_bad_crc', 'source_opcua_state']) assert.equal(sources['forest-fire-3']![col], null, `simulator-only gateway: no ${col}`);
  // The real agent's HJ 212 listener reports under the names the panel reads.
  for (const col of ['source_hj212_connections', 'source_hj212_packets', 'source_hj212_bad_crc', 'source_hj212_bad_length', 'source_hj212_bad_packet', 'source_hj212_bad_password']) {
    assert.equal(sources[REAL_GATEWAY]![col], 0, `real agent ${col}`);
  }
});
