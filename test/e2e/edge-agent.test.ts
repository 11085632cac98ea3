/**
 * The edge agent end to end, against a real platform (aedes + ingest + influxd) and real TCP
 * sockets: HJ 212 loggers → agent → platform → InfluxDB; provisioning through the CLI with
 * good, reused, expired and unknown tokens; remote config rejected and kept; the disk quota
 * dropping the oldest readings.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { freePort } from '@shanshui/ingest';
import { AGENT_DEFAULTS, createAgent } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import { pino } from 'pino';
import { encodeHj212Packet, formatHj212Time } from '@shanshui/edge-agent/protocols';
import { eventually, eventuallyEqual } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';
import { agentIn as startAgentIn, provisionedAgentDir, useAgentPlatform } from '../support/agent-folder.ts';
import { runAgentCli } from '../support/agent-cli.ts';


const env = useAgentPlatform();
const { cleanups } = env;

/** Registers + provisions a station into a fresh folder; returns the folder. */
function provisioned(id: string, domain: 'air' | 'water' = 'air'): Promise<string> {
  return provisionedAgentDir(env.tp, cleanups, { id, domain, department: domain === 'air' ? 'eco-env' : 'water' });
}

const agentIn = (dir: string, config?: unknown): Promise<Agent> => startAgentIn(cleanups, dir, config);

async function events(station: string, type: string): Promise<Array<Record<string, unknown>>> {
  return env.tp.query(`SELECT * FROM device_events WHERE station = '${station}' AND "type" = '${type}'`);
}

test('HJ 212 §6 frames over a real TCP socket: valid ones stored with metrics and q_<metric> flags; bad CRC, truncated and garbage counted, never fatal', { timeout: 120_000 }, async () => {
  const dir = await provisioned('hj-agent-01');
  const port = await freePort();
  const agent = await agentIn(dir, { version: 1, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }], heartbeatSec: 5 });
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let replies = '';
  socket.on('data', (d: Buffer) => (replies += d.toString()));

  const upload = (qn: string, dataTime: string, factors: Record<string, Record<string, string | number>>): string =>
    encodeHj212Packet({ qn, st: '22', cn: '2011', pw: '123456', mn: 'LOGGER-01', flag: 5, cp: { dataTime, factors } });
  // Logger clocks run on China Standard Time (UTC+8); whole minutes, an hour ago.
  const t1 = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);
  const t2 = new Date(t1.getTime() + 60_000);
  const good1 = upload(formatHj212Time(t1, 480, true), formatHj212Time(t1), { a34004: { Rtd: 35, Flag: 'N' }, a21005: { Rtd: 0.8, Flag: 'M' } });
  const good2 = upload(formatHj212Time(t2, 480, true), formatHj212Time(t2), { a34004: { Rtd: 41.5, Flag: 'D' }, a34002: { Rtd: 70, Flag: 'N' } });
  const badCrc = good1.replace(/[0-9A-F]{4}\r\n$/, (crc) => `${crc === '0000' ? '0001' : '0000'}\r\n`);
  const truncated = good2.slice(0, 40); // a new frame begins inside it
  socket.write(good1);
  socket.write('GARBAGE\x00\xff bytes outside any frame\r\n');
  socket.write(badCrc);
  socket.write(truncated);
  socket.write(good2);

  await eventuallyEqual(
    () => env.tp.query(`SELECT pm25, q_pm25, co, q_co, pm10 FROM air WHERE station = 'hj-agent-01'`),
    [
      { time: t1.getTime(), pm25: 35, q_pm25: 'ok', co: 0.8, q_co: 'maintenance', pm10: null },
      { time: t2.getTime(), pm25: 41.5, q_pm25: 'fault', co: null, q_co: null, pm10: 70 },
    ],
    'both valid uploads in InfluxDB, every field',
    60_000,
  );
  assert.equal((replies.match(/CN=9014/g) ?? []).length, 2, 'each valid upload acknowledged once it was in the buffer');
  const s = agent.stats().sources;
  assert.equal(s['source_hj212_packets'], 2);
  assert.equal(s['source_hj212_bad_crc'], 1);
  assert.equal(s['source_hj212_truncated'], 1);
  assert.ok(Number(s['source_hj212_garbage']) >= 1);
  // The heartbeat carries the same counters to the platform.
  const status = await eventually(async () => {
    const r = await env.tp.query(`SELECT last(source_hj212_bad_crc) AS bad_crc, last(buffer_depth) AS depth FROM device_status WHERE station = 'hj-agent-01'`);
    return r.length > 0 && r[0]!['bad_crc'] === 1 ? r : undefined;
  }, 'a heartbeat with the bad-CRC count', 30_000);
  assert.equal(typeof status[0]!['depth'], 'number');
});

test('provisioning through the CLI: good token stores owner-only credentials and connects; reused, expired and unknown tokens are refused with exit 2', { timeout: 120_000 }, async () => {
  const tmp = await tempDir('shanshui-provision-');
  cleanups.push(tmp.remove);
  const dir = path.join(tmp.dir, 'gw');
  await env.tp.api.register({ id: 'prov-01' });
  await env.tp.api.call('PUT', '/api/v1/stations/prov-01/config', { version: 4, heartbeatSec: 5 });
  const token = (await env.tp.api.call('POST', '/api/v1/stations/prov-01/bootstrap-tokens', {})).body.token as string;

  const ok = await runAgentCli(['provision', '--server', env.tp.httpUrl, '--token', token, '--dir', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Provisioned station prov-01/);
  assert.match(ok.stdout, /config version 4/);
  // In the repository the hint is the npm script, which runs on the project's Node 24.
  assert.match(ok.stdout, new RegExp(`Start the agent: npm run agent -- run --dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(path.join(dir, 'credentials.json')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(dir, 'config.json')).mode & 0o777, 0o600);
  const creds = JSON.parse(readFileSync(path.join(dir, 'credentials.json'), 'utf8'));
  assert.equal(creds.stationId, 'prov-01');
  assert.equal(creds.mqtt.tcp, `mqtt://127.0.0.1:${env.tp.mqttPort}`);

  const reused = await runAgentCli(['provision', '--server', env.tp.httpUrl, '--token', token, '--dir', path.join(tmp.dir, 'other')]);
  assert.equal(reused.code, 2);
  assert.match(reused.stderr, /refused.*410 PROVISION_ERR_TOKEN_USED/);

  const shortLived = (await env.tp.api.call('POST', '/api/v1/stations/prov-01/bootstrap-tokens', { ttlSec: 1 })).body.token as string;
  await sleep(1500);
  const expired = await runAgentCli(['provision', '--server', env.tp.httpUrl, '--token', shortLived, '--dir', path.join(tmp.dir, 'other')]);
  assert.equal(expired.code, 2);
  assert.match(expired.stderr, /410 PROVISION_ERR_TOKEN_EXPIRED/);

  const unknown = await runAgentCli(['provision', '--server', env.tp.httpUrl, '--token', 'sst_not-a-real-token-at-all', '--dir', path.join(tmp.dir, 'other')]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /401 PROVISION_ERR_TOKEN_UNKNOWN/);

  // The provisioned agent connects with the stored credentials and reports its status.
  const agent = await agentIn(dir);
  assert.equal(agent.config().version, 4, 'starts with the config received at provisioning');
  await eventually(async () => (await env.tp.query(`SELECT online, config_version FROM device_status WHERE station = 'prov-01'`)).some((r) => r['config_version'] === 4), 'the heartbeat', 30_000);
  await agent.stop();

  // Re-provisioning rotates the secret: the old one stops working.
  const again = (await env.tp.api.call('POST', '/api/v1/stations/prov-01/bootstrap-tokens', {})).body.token as string;
  const second = await runAgentCli(['provision', '--server', env.tp.httpUrl, '--token', again, '--dir', dir]);
  assert.equal(second.code, 0, second.stderr);
  const fresh = JSON.parse(readFileSync(path.join(dir, 'credentials.json'), 'utf8'));
  assert.notEqual(fresh.password, creds.password);
  await assert.rejects(
    mqtt.connectAsync(`mqtt://127.0.0.1:${env.tp.mqttPort}`, { clientId: 'prov-01', username: 'prov-01', password: creds.password, reconnectPeriod: 0, connectTimeout: 5000 }),
    'the old secret is refused',
  );
});

test('remote config: a config the agent cannot run is rejected and reported, and the last good one keeps running (also after a restart)', { timeout: 120_000 }, async () => {
  const dir = await provisioned('cfg-agent-01');
  const port = await freePort();
  const agent = await agentIn(dir);
  const put = (body: unknown) => env.tp.api.call('PUT', '/api/v1/stations/cfg-agent-01/config', body);

  assert.equal((await put({ version: 1, heartbeatSec: 5, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }] })).status, 200);
  await eventually(async () => (await events('cfg-agent-01', 'config_applied')).some((e) => e['version'] === 1), 'config_applied v1', 30_000);
  assert.equal(agent.config().version, 1);

  // Valid for the platform's schema, not for the agent: two listeners on one port.
  assert.equal((await put({ version: 2, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }, { kind: 'sl651', port, host: '127.0.0.1' }] })).status, 200);
  const rejected = await eventually(async () => (await events('cfg-agent-01', 'config_rejected')).find((e) => e['version'] === 2), 'config_rejected v2', 30_000);
  assert.match(String(rejected['reason']), /port \d+ is already used/);

  // Cannot start: the port is taken by someone else. The agent rolls back to v1's sources.
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => squatter.close(r)));
  const taken = (squatter.address() as net.AddressInfo).port;
  assert.equal((await put({ version: 3, sources: [{ kind: 'hj212', port: taken, host: '127.0.0.1' }] })).status, 200);
  const failed = await eventually(async () => (await events('cfg-agent-01', 'config_rejected')).find((e) => e['version'] === 3), 'config_rejected v3', 30_000);
  assert.match(String(failed['reason']), /failed to start.*EADDRINUSE/);

  assert.equal(agent.config().version, 1, 'still running the last good config');
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).version, 1, 'the stored config is the last good one');
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });

  // After a restart the agent runs the stored last good config; the retained v3 is rejected again.
  await agent.stop();
  const restarted = await agentIn(dir);
  assert.equal(restarted.config().version, 1);
  await eventually(() => restarted.stats().configsRejected >= 1, 'the retained bad config rejected again after the restart', 30_000);
  assert.equal(restarted.config().version, 1);
});

test('disk quota: while the platform is unreachable the OLDEST readings are dropped and counted; the newest arrive, in order', { timeout: 180_000 }, async () => {
  const dir = await provisioned('quota-agent-01');
  // The agent logs the timestamps it committed to the buffer at debug level: that is "taken".
  const taken: number[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (line.includes('"readings taken"') && taken.push(...(JSON.parse(line).ts as number[]))) });
  await env.tp.stop();
  let agent: Agent | undefined;
  try {
    agent = await createAgent({
      dir,
      logger,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      config: { version: 1, buffer: { quotaBytes: 64 * 1024, drainRatePerSec: 50 }, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: 0.005 }] },
    });
    cleanups.push(() => agent!.stop());
    await eventually(() => agent!.stats().buffer.dropped > 50, 'readings dropped over the quota', 90_000);
  } finally {
    await env.tp.start();
  }
  const a = agent!;
  // Stop generating, then let the buffer drain.
  assert.equal((await env.tp.api.call('PUT', '/api/v1/stations/quota-agent-01/config', { version: 2, buffer: { quotaBytes: 64 * 1024, drainRatePerSec: 50 }, sources: [] })).status, 200);
  await eventually(() => a.config().version === 2, 'config v2 applied', 60_000);
  await eventually(() => a.stats().buffer.depth === 0, 'buffer drained', 90_000);
  const s = a.stats();
  assert.equal(s.buffer.bytes, 0);
  assert.equal(taken.length, s.readingsTaken);
  // PUBACKed means durable in the platform's spool; InfluxDB has it a moment later.
  const stored = await eventually(async () => {
    const rows = (await env.tp.query(`SELECT pm25 FROM air WHERE station = 'quota-agent-01'`)).map((r) => r['time'] as number);
    return rows.length + s.buffer.dropped >= taken.length ? rows : undefined;
  }, 'every acknowledged reading in InfluxDB', 30_000);
  assert.ok(s.buffer.dropped > 50);
  assert.equal(stored.length + s.buffer.dropped, taken.length, 'every reading taken is either stored or counted as dropped');
  // The dropped ones are the oldest of the buffer at each moment: one contiguous run of the
  // oldest readings, except rows sitting in a message awaiting PUBACK after the reconnection
  // (never dropped — they may already be delivered).
  const storedSet = new Set(stored);
  const droppedIdx = taken.flatMap((ts, i) => (storedSet.has(ts) ? [] : [i]));
  assert.equal(droppedIdx.length, s.buffer.dropped);
  assert.ok(droppedIdx.every((x, k) => k === 0 || x === droppedIdx[k - 1]! + 1), 'the dropped readings are one contiguous run');
  assert.ok(droppedIdx[0]! <= AGENT_DEFAULTS.maxInflight * AGENT_DEFAULTS.maxReadingsPerMessage, `the run starts at the oldest (or right after what was in flight): index ${droppedIdx[0]}`);
  assert.deepEqual(stored.slice(droppedIdx[0]!), taken.slice(droppedIdx.at(-1)! + 1), 'everything newer than the dropped run arrived, in order');
  assert.ok(a.heartbeat());
  await eventually(async () => {
    const r = await env.tp.query(`SELECT last(buffer_dropped) AS dropped FROM device_status WHERE station = 'quota-agent-01'`);
    return r[0]?.['dropped'] === s.buffer.dropped;
  }, 'the drop count reported in the heartbeat', 30_000);
});

test('NB-IoT profile: readings go in CBOR batches per interval, payloads within maxPayloadBytes, all stored', { timeout: 120_000 }, async () => {
  const dir = await provisioned('nbiot-agent-01');
  const taken: number[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (line.includes('"readings taken"') && taken.push(...(JSON.parse(line).ts as number[]))) });
  const agent = await createAgent({
    dir,
    logger,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    config: { version: 1, uplink: { profile: 'nbiot', batchIntervalSec: 1, maxPayloadBytes: 1024, keepaliveSec: 600 }, heartbeatSec: 60, sources: [{ kind: 'simulated', intervalSec: 0.1 }] },
  });
  cleanups.push(() => agent.stop());
  await eventually(() => taken.length >= 30, '30 readings taken', 60_000);
  assert.equal((await env.tp.api.call('PUT', '/api/v1/stations/nbiot-agent-01/config', { version: 2, uplink: { profile: 'nbiot', batchIntervalSec: 1, maxPayloadBytes: 1024, keepaliveSec: 600 }, sources: [] })).status, 200);
  await eventually(() => agent.config().version === 2 && agent.stats().buffer.depth === 0, 'drained', 60_000);
  const stored = await eventually(async () => {
    const rows = (await env.tp.query(`SELECT pm25 FROM air WHERE station = 'nbiot-agent-01'`)).map((r) => r['time'] as number);
    return rows.length >= taken.length ? rows : undefined;
  }, 'every acknowledged reading in InfluxDB', 30_000);
  assert.deepEqual(stored, taken);
  const messages = env.tp.accepted.filter((e) => e.station.id === 'nbiot-agent-01');
  assert.ok(messages.length > 1 && messages.length < taken.length, `batched: ${messages.length} messages for ${taken.length} readings`);
  const u = agent.stats().uplink;
  assert.equal(u.profile, 'nbiot');
  assert.ok(u.bytesSent / u.messagesSent <= 1024);
});
