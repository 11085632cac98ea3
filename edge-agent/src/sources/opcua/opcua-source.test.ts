/**
 * OpcuaSource against a real node-opcua server (test-server.fixture.ts) on a free port:
 * values, qualities, deadband, server restart, watchdog, commands, SignAndEncrypt.
 */
import { describe, test, beforeAll, afterAll, expect, vi } from 'vitest';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes } from 'node-opcua';
import { SourceConfigSchema } from '@shanshui/models';
import type { SourceReading } from '../source-reading.ts';
import { prepareAgentPki } from './agent-pki.ts';
import { OpcuaError } from './errors.ts';
import { OpcuaSource } from './opcua-source.ts';
import type { OpcuaSourceConfig } from './opcua-source.ts';
import { NS, freePort, startTestOpcuaServer } from './test-server.fixture.ts';
import type { TestOpcuaServer } from './test-server.fixture.ts';

const STATION = 'PS-0001';

function opcuaConfig(input: Record<string, unknown>): OpcuaSourceConfig {
  const config = SourceConfigSchema.parse({ kind: 'opcua', ...input });
  assert.equal(config.kind, 'opcua');
  return config as OpcuaSourceConfig;
}

const ITEMS = [
  // deadband is in metric units: 1 → 0.5 raw at scale 2.
  { nodeId: `${NS};s=Pump1.Flow`, metric: 'outflow', scale: 2, offset: 1, deadband: 1, samplingIntervalMs: 50 },
  // A server refuses a deadband on a Boolean (BadFilterNotAllowed): the item falls back to no filter.
  { nodeId: `${NS};s=Gate1.Open`, metric: 'gate_open', deadband: 0.5, samplingIntervalMs: 50 },
  { nodeId: `${NS};s=Pump1.Speed`, metric: 'pump_speed', scale: 0.1, samplingIntervalMs: 50 },
  { nodeId: `${NS};s=Pump1.Mode`, metric: 'pump_mode', samplingIntervalMs: 50 },
  { nodeId: `${NS};s=Gate1.Position`, metric: 'gate_position', samplingIntervalMs: 50 },
];

const COMMANDS = [
  { name: 'set_position', write: { nodeId: `${NS};s=Gate1.Position`, dataType: 'Double' } },
  { name: 'open_gate', write: { nodeId: `${NS};s=Gate1.Open`, dataType: 'Boolean' } },
  { name: 'set_speed', write: { nodeId: `${NS};s=Pump1.Speed`, dataType: 'UInt16' } },
  { name: 'set_mode', write: { nodeId: `${NS};s=Pump1.Mode`, dataType: 'String' } },
  { name: 'move_gate', call: { objectId: `${NS};s=Gate1`, methodId: `${NS};s=Gate1.MoveTo` } },
];

/** Readings received, and log lines (JSON) written by the source. */
class Recorder {
  readonly readings: SourceReading[] = [];
  readonly logLines: Record<string, unknown>[] = [];
  readonly logger = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        for (const line of chunk.toString().split('\n')) if (line) this.logLines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  );
  readonly onReadings = (readings: SourceReading[]): void => {
    this.readings.push(...readings);
  };

  values(metric: string): { value: number; quality: string; ts: Date }[] {
    return this.readings.flatMap((r) => {
      const v = r.values[metric];
      return v ? [{ value: v.value, quality: v.quality, ts: r.ts }] : [];
    });
  }

  async waitForValue(metric: string, value: number, quality = 'ok'): Promise<{ value: number; quality: string; ts: Date }> {
    let found: { value: number; quality: string; ts: Date } | undefined;
    await expect.poll(() => {
      found = this.values(metric).find((v) => Math.abs(v.value - value) < 1e-9 && v.quality === quality);
      return found !== undefined;
    }, { timeout: 15000, message: `${metric}=${value} (${quality}); got ${JSON.stringify(this.values(metric).slice(-5))}` }).toBe(true);
    return found!;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shanshui-opcua-'));
const serverPki = path.join(tmp, 'server-pki');
let port = 0;
let server: TestOpcuaServer | undefined;
const sources: OpcuaSource[] = [];

function track(source: OpcuaSource): OpcuaSource {
  sources.push(source);
  return source;
}

beforeAll(async () => {
  port = await freePort();
  server = await startTestOpcuaServer({ port, pkiDir: serverPki });
});

afterAll(async () => {
  for (const source of sources) await source.stop();
  await server?.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The server's sessions (node-opcua keeps them private; the tests look inside on purpose). */
function serverSessions(srv: TestOpcuaServer): ServerSessionView[] {
  return Object.values((srv.server.engine as unknown as { _sessions: Record<string, ServerSessionView> })._sessions);
}
interface ServerSessionView {
  channel?: { securityMode: MessageSecurityMode; securityPolicy: SecurityPolicy };
  publishEngine: { subscriptions: { _stop_timer(): void }[] };
}

function liveServer(): TestOpcuaServer {
  assert.ok(server, 'server running');
  return server;
}

test('invalid options fail loudly, naming the key', () => {
  assert.throws(
    () =>
      new OpcuaSource({
        config: { ...opcuaConfig({ endpointUrl: 'opc.tcp://127.0.0.1:4840', items: ITEMS }), securityMode: 'Sign' },
        stationId: STATION,
        pkiDir: path.join(tmp, 'unused'),
        onReadings: () => undefined,
      }),
    (err: unknown) => err instanceof OpcuaError && err.code === 'EDGE_ERR_OPCUA_OPTIONS_INVALID' && /securityPolicy/.test(err.message),
  );
});

test('sources sharing one pkiDir get one certificate', async () => {
  const pkiDir = path.join(tmp, 'agent-pki-shared');
  const [a, b] = await Promise.all([
    prepareAgentPki({ pkiDir, applicationUri: 'urn:test:shanshui:edge-agent', applicationName: 'Shanshui edge agent' }),
    prepareAgentPki({ pkiDir, applicationUri: 'urn:test:shanshui:edge-agent', applicationName: 'Shanshui edge agent' }),
  ]);
  assert.equal(a.certificateFile, b.certificateFile);
  assert.deepEqual(fs.readdirSync(path.join(pkiDir, 'own/certs')), ['client_certificate.pem']);
  await a.certificateManager.dispose();
  await b.certificateManager.dispose();
});

test('start() does not reject while the server is down; stop() ends the retries', async () => {
  const deadPort = await freePort();
  const source = track(
    new OpcuaSource({
      config: opcuaConfig({ endpointUrl: `opc.tcp://127.0.0.1:${deadPort}`, items: ITEMS }),
      stationId: STATION,
      pkiDir: path.join(tmp, 'agent-pki-down'),
      onReadings: () => undefined,
    }),
  );
  await source.start();
  assert.notEqual(source.stats().state, 'connected');
  await source.stop();
  assert.equal(source.stats().state, 'disconnected');
});

describe('security None', () => {
  const recorder = new Recorder();
  let source: OpcuaSource;

  beforeAll(async () => {
    source = track(
      new OpcuaSource({
        config: opcuaConfig({
          endpointUrl: liveServer().endpointUrl,
          publishingIntervalMs: 100,
          watchdogMs: 1500,
          items: ITEMS,
          commands: COMMANDS,
        }),
        stationId: STATION,
        pkiDir: path.join(tmp, 'agent-pki'),
        logger: recorder.logger,
        onReadings: recorder.onReadings,
      }),
    );
    await source.start();
    await vi.waitFor(() => expect(source.stats().state).toBe('connected'), { timeout: 15000 }); // a hook: no expect.poll here
  });

  test('server values arrive as readings with scale and offset applied and quality ok', async () => {
    const srv = liveServer();
    // The initial value of every item is reported on creation: Flow 10 → 10 × 2 + 1.
    await recorder.waitForValue('outflow', 21);

    const sourceTimestamp = new Date('2026-05-01T02:03:04.567Z');
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 21 }, StatusCodes.Good, sourceTimestamp);
    const flow = await recorder.waitForValue('outflow', 43);
    assert.equal(flow.ts.toISOString(), sourceTimestamp.toISOString(), 'reading time is the source timestamp');

    srv.set('Gate1.Open', { dataType: DataType.Boolean, value: true });
    await recorder.waitForValue('gate_open', 1);
    srv.set('Pump1.Speed', { dataType: DataType.UInt16, value: 1450 });
    await recorder.waitForValue('pump_speed', 145);

    const reading = recorder.readings.find((r) => r.values.outflow?.value === 43);
    assert.equal(reading?.source, STATION);
    assert.equal(reading?.kind, 'opcua');
    assert.ok(
      recorder.logLines.some((l) => /refused the deadband filter/.test(String(l.msg)) && JSON.stringify(l.nodeIds).includes('Gate1.Open')),
      'the filter fallback is logged',
    );
    srv.set('Pump1.Mode', { dataType: DataType.String, value: 'manual' });
    await sleep(300);
    assert.equal(recorder.values('pump_mode').length, 0, 'strings never become values');
  });

  test('the deadband (metric units) holds back small changes', async () => {
    const srv = liveServer();
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 21.2 }); // 0.2 raw = 0.4 metric < 1
    await sleep(300);
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 22 }); // 1 raw from the last reported 21
    await recorder.waitForValue('outflow', 45);
    assert.equal(recorder.values('outflow').filter((v) => Math.abs(v.value - 43.4) < 1e-9).length, 0, 'change inside the deadband not reported');
  });

  test('a Bad status code arrives as quality fault; a Bad without value carries the last value', async () => {
    const srv = liveServer();
    const before = source.stats().badQuality;
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 23 }, StatusCodes.BadSensorFailure);
    await recorder.waitForValue('outflow', 47, 'fault');
    srv.set('Pump1.Flow', { dataType: DataType.Null }, StatusCodes.BadNoCommunication);
    await recorder.waitForValue('outflow', 47, 'comm_error');
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 24 }, StatusCodes.UncertainEngineeringUnitsExceeded);
    await recorder.waitForValue('outflow', 49, 'over_range');
    assert.ok(source.stats().badQuality >= before + 3);
  });

  test('executeCommand: write changes the server variable, with type checks', async () => {
    const srv = liveServer();
    assert.deepEqual(await source.executeCommand('set_position', { value: 12.5 }), { ok: true, result: { statusCode: 'Good' } });
    assert.equal(srv.get('Gate1.Position'), 12.5);
    await recorder.waitForValue('gate_position', 12.5);

    assert.equal((await source.executeCommand('open_gate', { value: false })).ok, true);
    assert.equal(srv.get('Gate1.Open'), false);
    assert.equal((await source.executeCommand('set_mode', { value: 'remote' })).ok, true);
    assert.equal(srv.get('Pump1.Mode'), 'remote');
    assert.equal((await source.executeCommand('set_speed', { value: 1200 })).ok, true);
    assert.equal(srv.get('Pump1.Speed'), 1200);

    const wrongType = await source.executeCommand('open_gate', { value: 'yes' });
    assert.equal(wrongType.ok, false);
    assert.match(wrongType.error ?? '', /EDGE_ERR_OPCUA_COMMAND_ARGS.*Boolean needs a boolean, got string/);
    const outOfRange = await source.executeCommand('set_speed', { value: 70000 });
    assert.equal(outOfRange.ok, false);
    assert.match(outOfRange.error ?? '', /UInt16 must be within 0…65535/);
    const missing = await source.executeCommand('set_position', {});
    assert.equal(missing.ok, false);
    assert.equal(srv.get('Gate1.Position'), 12.5, 'refused writes never reach the server');
  });

  test('executeCommand: call runs the method; unknown command is refused with a reason', async () => {
    const srv = liveServer();
    const called = await source.executeCommand('move_gate', { inputArguments: [{ dataType: 'Double', value: 33 }] });
    assert.deepEqual(called, { ok: true, result: { statusCode: 'Good', outputArguments: [{ dataType: 'Boolean', value: true }] } });
    assert.deepEqual(srv.methodCalls, [33]);
    assert.equal(srv.get('Gate1.Position'), 33);

    const badArgument = await source.executeCommand('move_gate', { inputArguments: [{ dataType: 'String', value: 'up' }] });
    assert.equal(badArgument.ok, false, 'the server refuses a String for a Double argument');
    assert.match(badArgument.error ?? '', /EDGE_ERR_OPCUA_COMMAND_FAILED/);
    assert.deepEqual(srv.methodCalls, [33]);

    const unknown = await source.executeCommand('launch_rocket', {});
    assert.equal(unknown.ok, false);
    assert.match(unknown.error ?? '', /EDGE_ERR_OPCUA_UNKNOWN_COMMAND.*launch_rocket/);
  });

  test('watchdog: a subscription that silently stops delivering is rebuilt', async () => {
    const srv = liveServer();
    const rebuildsBefore = source.stats().subscriptionRebuilds;
    // Freeze every server-side subscription: no notifications and no keep-alives any more, and
    // the session stays healthy — what a stuck gateway subscription looks like.
    const frozen = serverSessions(srv).flatMap((s) => s.publishEngine.subscriptions);
    assert.ok(frozen.length > 0, 'the server holds our subscription');
    for (const subscription of frozen) subscription._stop_timer();

    await expect.poll(() => source.stats().subscriptionRebuilds > rebuildsBefore, { timeout: 15000, message: 'subscription rebuilt' }).toBe(true);
    srv.set('Pump1.Flow', { dataType: DataType.Double, value: 40 });
    await recorder.waitForValue('outflow', 81);
    assert.equal(source.stats().state, 'connected');
  });

  test('server restart on the same port: the source reconnects and readings flow again', async () => {
    const reconnectsBefore = source.stats().reconnects;
    // A second source, stopped while node-opcua is busy reconnecting: stop() must still end it.
    const bystander = track(
      new OpcuaSource({ config: opcuaConfig({ endpointUrl: liveServer().endpointUrl, items: [ITEMS[0]!] }), stationId: 'PS-0002', pkiDir: path.join(tmp, 'agent-pki'), onReadings: () => undefined }),
    );
    await bystander.start();
    await expect.poll(() => bystander.stats().state === 'connected', { timeout: 15000, message: 'bystander connected' }).toBe(true);

    await liveServer().shutdown();
    server = undefined;
    await expect.poll(() => source.stats().state !== 'connected' && bystander.stats().state !== 'connected', { timeout: 15000, message: 'connection loss noticed' }).toBe(true);
    await sleep(500);
    const stopStarted = Date.now();
    await bystander.stop();
    if (process.env.OPCUA_TEST_LOG) console.log('bystander stop ms', Date.now() - stopStarted);
    assert.equal(bystander.stats().state, 'disconnected');
    server = await startTestOpcuaServer({ port, pkiDir: serverPki });

    await expect.poll(() => source.stats().reconnects > reconnectsBefore && source.stats().state === 'connected', { timeout: 30_000, message: 'reconnected' }).toBe(true);
    // The new server starts from its initial values (Flow 10 → 21) and then changes.
    server.set('Pump1.Flow', { dataType: DataType.Double, value: 50 });
    await recorder.waitForValue('outflow', 101);
    server.set('Gate1.Open', { dataType: DataType.Boolean, value: true });
    const gateValues = recorder.values('gate_open').length;
    await recorder.waitForValue('gate_open', 1);
    assert.ok(recorder.values('gate_open').length >= gateValues);
    await sleep(1500);
    assert.equal(serverSessions(server).length, 1, 'the stopped bystander did not come back');
    const stats = source.stats();
    if (process.env.OPCUA_TEST_LOG) for (const l of recorder.logLines) console.log(JSON.stringify({ ...l, time: undefined, pid: undefined, hostname: undefined }).slice(0, 300));
    assert.ok(stats.reconnects >= 1);
    assert.ok(stats.notifications > 0);
    assert.ok(stats.lastNotificationAt && !Number.isNaN(Date.parse(stats.lastNotificationAt)));
  });
});

describe('security SignAndEncrypt', () => {
  test('a security policy the server does not offer: the source keeps retrying, never rejects, stop() ends it', async () => {
    const recorder = new Recorder();
    const source = track(
      new OpcuaSource({
        config: opcuaConfig({ endpointUrl: liveServer().endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', items: [ITEMS[0]!] }),
        stationId: STATION,
        pkiDir: path.join(tmp, 'agent-pki-secure'),
        logger: recorder.logger,
        onReadings: recorder.onReadings,
      }),
    );
    await source.start();
    await expect.poll(() => recorder.logLines.some((l) => l.level === 40), { timeout: 15000, message: 'a warning about the failed attempt' }).toBe(true);
    if (process.env.OPCUA_TEST_LOG) for (const l of recorder.logLines) console.log(JSON.stringify(l).slice(0, 400));
    assert.notEqual(source.stats().state, 'connected');
    await source.stop();
    assert.equal(source.stats().state, 'disconnected');
  });

  test('Basic256Sha256: connects with the agent certificate, kept owner-only in pkiDir', async () => {
    const recorder = new Recorder();
    const pkiDir = path.join(tmp, 'agent-pki-secure');
    const source = track(
      new OpcuaSource({
        config: opcuaConfig({
          endpointUrl: liveServer().endpointUrl,
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          publishingIntervalMs: 100,
          items: [ITEMS[0]!],
          commands: [COMMANDS[0]!],
        }),
        stationId: STATION,
        pkiDir,
        logger: recorder.logger,
        onReadings: recorder.onReadings,
      }),
    );
    await source.start();
    await expect.poll(() => source.stats().state === 'connected', { timeout: 30_000, message: 'secure connection' }).toBe(true);
    const channels = serverSessions(liveServer()).map((s) => s.channel && { mode: s.channel.securityMode, policy: s.channel.securityPolicy });
    assert.ok(
      channels.some((c) => c?.mode === MessageSecurityMode.SignAndEncrypt && c.policy === SecurityPolicy.Basic256Sha256),
      `the server sees a SignAndEncrypt/Basic256Sha256 channel: ${JSON.stringify(channels)}`,
    );
    liveServer().set('Pump1.Flow', { dataType: DataType.Double, value: 60 });
    await recorder.waitForValue('outflow', 121);
    assert.equal((await source.executeCommand('set_position', { value: 7 })).ok, true);
    assert.equal(liveServer().get('Gate1.Position'), 7);

    const certificate = path.join(pkiDir, 'own/certs/client_certificate.pem');
    assert.ok(fs.existsSync(certificate), 'agent certificate created');
    assert.equal(fs.statSync(pkiDir).mode & 0o077, 0, 'pkiDir is owner-only');
    for (const file of [certificate, path.join(pkiDir, 'own/private/private_key.pem')]) {
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${file} is 0600`);
    }
    await source.stop();
  });
});

test('items naming a child station (stationId) become readings of that station, apart from the agent\'s own, even for the same metric', async () => {
  const recorder = new Recorder();
  const source = track(
    new OpcuaSource({
      config: opcuaConfig({
        endpointUrl: liveServer().endpointUrl,
        publishingIntervalMs: 100,
        items: [
          { nodeId: `${NS};s=Pump1.Flow`, metric: 'outflow', samplingIntervalMs: 50 },
          { nodeId: `${NS};s=Pump1.Speed`, metric: 'outflow', samplingIntervalMs: 50, stationId: 'PS-0002' },
        ],
      }),
      stationId: STATION,
      pkiDir: path.join(tmp, 'agent-pki-children'),
      logger: recorder.logger,
      onReadings: recorder.onReadings,
    }),
  );
  await source.start();
  // Every item reports its value on creation: one outflow per station, never merged into one reading.
  await expect.poll(() => new Set(recorder.readings.filter((r) => 'outflow' in r.values).map((r) => r.source)).size === 2, { timeout: 15000, message: 'outflow of both stations' }).toBe(true);
  assert.deepEqual([...new Set(recorder.readings.map((r) => r.source))].sort(), ['PS-0001', 'PS-0002']);
  await source.stop();
});
