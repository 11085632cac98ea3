/**
 * A gateway publishing for its child stations, end to end against a real platform
 * (aedes + ingest + influxd) and real TCP sockets: several HJ 212 data loggers (by MN) and SL 651
 * RTUs (by 测站地址) behind one edge agent, each mapped to its own platform station — readings
 * stored under each child with the child's tags, one mapped to the gateway's own id under it, an
 * unmapped one dropped and counted (never filed under the wrong station);
 * the remote config refused when it maps a device to a station that is not a child; and every
 * station's messages numbered on their own, so the platform's gap/duplicate accounting works
 * per station even when the stations' readings are interleaved in the buffer.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Agent } from '@shanshui/edge-agent';
import { freePort } from '@shanshui/ingest';
import type { StationInput } from '@shanshui/models';
import { encodeHj212Packet, formatHj212Time, encodeSl651Report } from '@shanshui/edge-agent/protocols';
import { eventually, eventuallyEqual } from '../support/test-platform.ts';
import { agentIn as startAgentIn, provisionedAgentDir, useAgentPlatform } from '../support/agent-folder.ts';

const env = useAgentPlatform();
const { cleanups } = env;

/** Registers + provisions a gateway station into a fresh folder; returns the folder. */
function provisionedGateway(station: Partial<StationInput> & { id: string }): Promise<string> {
  return provisionedAgentDir(env.tp, cleanups, station);
}

const agentIn = (dir: string, config?: unknown): Promise<Agent> => startAgentIn(cleanups, dir, config);

async function socketTo(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Messages the platform accepted for `station`, in order: their seq and reading count. */
const acceptedFor = (station: string): Array<{ seq: number; readings: number }> =>
  env.tp.accepted.filter((e) => e.station.id === station).map((e) => ({ seq: e.seq, readings: e.readings.length }));

test('two HJ 212 loggers with different MNs behind one agent: each stored under its own child station with that station\'s tags; one mapped to the gateway itself under it; an unmapped MN dropped and counted', { timeout: 120_000 }, async () => {
  const dir = await provisionedGateway({ id: 'gw-hj', domain: 'air', department: 'eco-env', region: '440100' });
  await env.tp.api.register({ id: 'gw-hj-air', domain: 'air', department: 'eco-env', region: '440106', gatewayId: 'gw-hj' });
  await env.tp.api.register({ id: 'gw-hj-river', domain: 'water', department: 'eco-env', region: '440111', gatewayId: 'gw-hj' });
  await env.tp.api.register({ id: 'not-a-child', domain: 'air', department: 'eco-env' });
  const agent = await agentIn(dir);
  const port = await freePort();
  const hj212 = (stations: Record<string, string>) => ({ kind: 'hj212', port, host: '127.0.0.1', stations });

  // The platform refuses a config that maps a logger to a station this gateway may not publish for.
  const wrong = await env.tp.api.call('PUT', '/api/v1/stations/gw-hj/config', { version: 1, sources: [hj212({ 'MN-AIR-01': 'gw-hj-air', 'MN-X': 'not-a-child' })] });
  assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
  assert.match(wrong.body.error.message, /not child stations of gw-hj.*sources\.0\.stations\.MN-X: not-a-child/);
  const put = await env.tp.api.call('PUT', '/api/v1/stations/gw-hj/config', { version: 1, sources: [hj212({ 'MN-AIR-01': 'gw-hj-air', 'MN-RIVER-01': 'gw-hj-river', 'MN-OWN-01': 'gw-hj' })] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await eventually(() => agent.config().version === 1, 'the agent running config 1', 30_000);

  // Four loggers on their own sockets; three of them report pm25 at the same minute.
  const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);
  const upload = (mn: string, factors: Record<string, Record<string, string | number>>): string =>
    encodeHj212Packet({ qn: formatHj212Time(t, 480, true), st: '22', cn: '2011', pw: '123456', mn, flag: 5, cp: { dataTime: formatHj212Time(t), factors } });
  const air = await socketTo(port);
  const river = await socketTo(port);
  const own = await socketTo(port);
  const unmapped = await socketTo(port);
  unmapped.write(upload('MN-TYPO-01', { a34004: { Rtd: 777, Flag: 'N' } }));
  air.write(upload('MN-AIR-01', { a34004: { Rtd: 35, Flag: 'N' } }));
  river.write(upload('MN-RIVER-01', { w01001: { Rtd: 7.2, Flag: 'N' }, w01009: { Rtd: 6.5, Flag: 'N' } }));
  own.write(upload('MN-OWN-01', { a34004: { Rtd: 99, Flag: 'N' } }));

  const airRows = await eventually(async () => {
    const r = await env.tp.query(`SELECT pm25, station, domain, region, dept FROM air WHERE station = 'gw-hj-air' OR station = 'gw-hj'`);
    return r.length === 2 ? r : undefined;
  }, 'both pm25 readings', 60_000);
  assert.deepEqual(
    airRows.sort((a, b) => String(a['station']).localeCompare(String(b['station']))),
    [
      { time: t.getTime(), pm25: 99, station: 'gw-hj', domain: 'air', region: '440100', dept: 'eco-env' },
      { time: t.getTime(), pm25: 35, station: 'gw-hj-air', domain: 'air', region: '440106', dept: 'eco-env' },
    ],
    'the same metric at the same time from two loggers: two stations, nothing overwritten',
  );
  await eventuallyEqual(
    () => env.tp.query(`SELECT ph, "do", station, domain, region, dept FROM water WHERE station = 'gw-hj-river'`),
    [{ time: t.getTime(), ph: 7.2, do: 6.5, station: 'gw-hj-river', domain: 'water', region: '440111', dept: 'eco-env' }],
    "the river logger's reading, both fields",
    60_000,
  );
  assert.equal(agent.stats().sources['source_hj212_readings_unmapped'], 1, 'the unmapped logger counted');
  assert.equal((await env.tp.query(`SELECT pm25 FROM air WHERE pm25 = 777`)).length, 0, 'and not stored under any station');

  // Each child has its own delivery accounting and is online through its connected gateway.
  for (const child of ['gw-hj-air', 'gw-hj-river']) {
    const shown = (await env.tp.api.call('GET', `/api/v1/stations/${child}`)).body;
    assert.equal(shown.station.gatewayId, 'gw-hj');
    assert.deepEqual({ lastSeq: shown.delivery.lastSeq, duplicates: shown.delivery.duplicates, gaps: shown.delivery.gaps }, { lastSeq: 1, duplicates: 0, gaps: 0 }, child);
    assert.deepEqual({ online: shown.presence.online, via: shown.presence.via }, { online: true, via: 'gw-hj' }, child);
  }
  const unrelated = (await env.tp.api.call('GET', '/api/v1/stations/not-a-child')).body;
  assert.equal(unrelated.delivery, null, 'nothing for the station the refused config named');
});

test('SL 651: two RTUs with different 测站地址 behind one agent, each stored under its own child station', { timeout: 120_000 }, async () => {
  const dir = await provisionedGateway({ id: 'gw-sl', domain: 'reservoir', department: 'water' });
  await env.tp.api.register({ id: 'gw-sl-north', domain: 'reservoir', department: 'water', gatewayId: 'gw-sl' });
  await env.tp.api.register({ id: 'gw-sl-south', domain: 'reservoir', department: 'water', gatewayId: 'gw-sl' });
  const port = await freePort();
  // Set up on site (the agent's own config); addresses in either case.
  await agentIn(dir, { version: 1, sources: [{ kind: 'sl651', port, host: '127.0.0.1', stations: { '0012345678': 'gw-sl-north', '00ABCDEF01': 'gw-sl-south' } }] });
  const H = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
  const sentAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const report = (station: string, level: number): Buffer =>
    encodeSl651Report({ centre: 1, station, password: '1234', functionCode: 0x32, serial: 1, sentAt, stationClass: 0x4b, groups: [{ observedAt: new Date(H), elements: [{ key: '3B', value: level }] }] });
  (await socketTo(port)).write(report('0012345678', 101.25));
  (await socketTo(port)).write(report('00abcdef01', 88.5));
  const rows = await eventually(async () => {
    const r = await env.tp.query(`SELECT water_level, station, dept FROM reservoir WHERE station =~ /^gw-sl/`);
    return r.length === 2 ? r : undefined;
  }, 'both RTUs\' reports', 60_000);
  assert.deepEqual(
    rows.sort((a, b) => String(a['station']).localeCompare(String(b['station']))),
    [
      { time: H, water_level: 101.25, station: 'gw-sl-north', dept: 'water' },
      { time: H, water_level: 88.5, station: 'gw-sl-south', dept: 'water' },
    ],
  );
});

test('per-station message sequence: interleaved readings of three stations in the buffer leave as per-station messages (NB-IoT packing per station), each station numbered 1, 2, 3 … on its own topic', { timeout: 120_000 }, async () => {
  const dir = await provisionedGateway({ id: 'gw-seq', domain: 'air', department: 'eco-env' });
  await env.tp.api.register({ id: 'gw-seq-a', domain: 'air', department: 'eco-env', gatewayId: 'gw-seq' });
  await env.tp.api.register({ id: 'gw-seq-b', domain: 'air', department: 'eco-env', gatewayId: 'gw-seq' });
  const agent = await agentIn(dir, { version: 1, uplink: { profile: 'nbiot', batchIntervalSec: 1, maxPayloadBytes: 256, keepaliveSec: 600 }, buffer: { drainRatePerSec: 1000 } });
  // 60 readings, one per minute, rotating own → a → b: never two of one station next to each other.
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 3_600_000;
  const stations = [undefined, 'gw-seq-a', 'gw-seq-b'] as const;
  for (let i = 0; i < 60; i++) {
    const stationId = stations[i % 3];
    agent.take([{ source: 'test', kind: 'realtime', ts: new Date(t0 + i * 60_000), values: { pm25: { value: i, quality: 'ok' } }, ...(stationId ? { stationId } : {}) }]);
  }
  for (const [i, station] of (['gw-seq', 'gw-seq-a', 'gw-seq-b'] as const).entries()) {
    const rows = await eventually(async () => {
      const r = await env.tp.query(`SELECT pm25 FROM air WHERE station = '${station}' AND time >= ${t0}ms`);
      return r.length === 20 ? r : undefined;
    }, `the 20 readings of ${station}`, 60_000);
    assert.deepEqual(rows.map((r) => r['pm25']), Array.from({ length: 20 }, (_, k) => 3 * k + i), `${station}: its own readings, in order`);
    const messages = acceptedFor(station);
    assert.deepEqual(messages.map((m) => m.seq), messages.map((_, k) => k + 1), `${station}: seq 1, 2, 3 … of its own`);
    assert.equal(messages.reduce((n, m) => n + m.readings, 0), 20);
    assert.ok(messages.length < 20, `${station}: readings of one station packed together across the interleaving (${messages.length} messages)`);
    const delivery = (await env.tp.api.call('GET', `/api/v1/stations/${station}`)).body.delivery;
    assert.deepEqual(
      { lastSeq: delivery.lastSeq, received: delivery.received, gaps: delivery.gaps, duplicates: delivery.duplicates, resets: delivery.resets },
      { lastSeq: messages.length, received: messages.length, gaps: 0, duplicates: 0, resets: 0 },
      `${station}: the platform sees a clean sequence`,
    );
  }
});

test('a child detached on the platform while the gateway still holds its readings: parked after repeated refusals and reported, the other stations keep flowing; re-attached and a config applied, its readings arrive', { timeout: 180_000 }, async () => {
  const dir = await provisionedGateway({ id: 'gw-park', domain: 'air', department: 'eco-env' });
  await env.tp.api.register({ id: 'gw-park-a', domain: 'air', department: 'eco-env', gatewayId: 'gw-park' });
  await env.tp.api.register({ id: 'gw-park-b', domain: 'air', department: 'eco-env', gatewayId: 'gw-park' });
  const agent = await agentIn(dir, { version: 1 });
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;
  const take = (i: number, stationId?: string): void =>
    agent.take([{ source: 'test', kind: 'realtime', ts: new Date(t0 + i * 60_000), values: { pm25: { value: i, quality: 'ok' } }, ...(stationId ? { stationId } : {}) }]);
  const stored = async (station: string): Promise<number[]> => (await env.tp.query(`SELECT pm25 FROM air WHERE station = '${station}' AND time >= ${t0}ms`)).map((r) => r['pm25'] as number);

  await eventually(() => agent.stats().uplink.state === 'connected', 'the agent connected', 30_000);
  assert.equal((await env.tp.api.call('PATCH', '/api/v1/stations/gw-park-a', { gatewayId: null })).status, 200);
  // a's rows first in the buffer, interleaved with the gateway's own and b's.
  take(1, 'gw-park-a');
  take(2);
  take(3, 'gw-park-b');
  take(4, 'gw-park-a');
  take(5);
  await eventually(async () => (await stored('gw-park')).length === 2 && (await stored('gw-park-b')).length === 1, 'own and b readings stored despite a', 90_000);
  await eventually(() => agent.stats().uplink.parkedStations.includes('gw-park-a'), 'a parked', 60_000);
  const refused = await eventually(async () => {
    const r = await env.tp.query(`SELECT child FROM device_events WHERE station = 'gw-park' AND "type" = 'station_refused'`);
    return r.length > 0 ? r : undefined;
  }, 'the station_refused event on the gateway', 30_000);
  assert.deepEqual(refused.map((r) => r['child']), ['gw-park-a']);
  assert.deepEqual(await stored('gw-park-a'), [], 'nothing stored for a station the gateway may not publish for');
  assert.equal(agent.stats().buffer.depth, 2, "a's two readings kept in the buffer");
  take(6);
  await eventually(async () => (await stored('gw-park')).length === 3, 'live readings of the gateway keep flowing while a is parked', 30_000);

  // Fixed on the platform, then any config applied: a's readings go out.
  assert.equal((await env.tp.api.call('PATCH', '/api/v1/stations/gw-park-a', { gatewayId: 'gw-park' })).status, 200);
  assert.equal((await env.tp.api.call('PUT', '/api/v1/stations/gw-park/config', { version: 2 })).status, 200);
  await eventually(async () => (await stored('gw-park-a')).length === 2, "a's readings after the fix", 60_000);
  assert.deepEqual(await stored('gw-park-a'), [1, 4]);
  assert.deepEqual(agent.stats().uplink.parkedStations, []);
});
