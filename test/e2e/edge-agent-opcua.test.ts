/**
 * OPC-UA end to end (issues #5, #6), against real components only: a node-opcua server playing
 * the PLC of a sluice-and-pump station (test-server.fixture.ts plus a dam level and a pump start
 * method) → the edge agent, configured by a technician through the platform's retained remote
 * config → platform (aedes + ingest) → InfluxDB; and back: an operator's command through the
 * API → the agent → an OPC-UA write or method call on the PLC → the agent's answer in the API
 * and the audit log. The PLC is restarted on the same port mid-run.
 */
import { test, beforeAll } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataType, StatusCodes, Variant } from 'node-opcua';
import type { CallMethodResultOptions, ISessionContext, UAObject } from 'node-opcua';
import { createAgent } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import { NS, freePort, startTestOpcuaServer } from '@shanshui/edge-agent/testing';
import type { TestOpcuaServer } from '@shanshui/edge-agent/testing';
import type { RestartablePlatform } from '../support/restartable-platform.ts';
import { provisionedAgentDir, useAgentPlatform } from '../support/agent-folder.ts';
import { httpApi } from '../support/http-api.ts';
import type { HttpApi } from '../support/http-api.ts';
import { eventually } from '../support/test-platform.ts';
import { tempDir } from '../support/temp-dir.ts';

const STATION = 'sluice-opc-01';
const DEPARTMENT = 'water';

const env = useAgentPlatform();
let tp: RestartablePlatform;
let tmp: { dir: string; remove: () => Promise<void> } | undefined;
let plc: TestOpcuaServer | undefined;
let plcPort = 0;
let agent: Agent | undefined;
let agentDir = '';
let technician: HttpApi;
let operator: HttpApi;
/** Speeds of every Pump1.Start the PLC carried out. */
const pumpStarts: number[] = [];
/** Pump1.Start calls received, carried out or not. */
let pumpCalls = 0;
/** While set, Pump1.Start waits for it before acting (a start sequence that takes a while). */
let pumpHold: Promise<void> | undefined;

/**
 * The PLC: the fixture's pump and gate, plus what a sluice station adds — the reservoir level
 * (read-only, in cm above the gauge zero) and a pump start method that the PLC refuses in local
 * mode (就地), as a real interlock would.
 */
async function startPlc(): Promise<TestOpcuaServer> {
  return startTestOpcuaServer({
    port: plcPort,
    pkiDir: path.join(tmp!.dir, 'plc-pki'),
    extend(namespace, variables) {
      const addressSpace = namespace.addressSpace;
      const dam = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Dam1', nodeId: 's=Dam1' });
      const level = namespace.addVariable({
        componentOf: dam,
        browseName: 'Level',
        nodeId: 's=Dam1.Level',
        dataType: DataType.Double,
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 50,
        value: new Variant({ dataType: DataType.Double, value: 1990 }),
      });
      variables.set('Dam1.Level', level);
      const pump = addressSpace.findNode(`${NS};s=Pump1`) as UAObject | null;
      assert.ok(pump, 'the fixture has Pump1');
      const start = namespace.addMethod(pump, {
        browseName: 'Start',
        nodeId: 's=Pump1.Start',
        inputArguments: [{ name: 'speed', dataType: DataType.UInt16 }],
        outputArguments: [{ name: 'started', dataType: DataType.Boolean }],
      });
      start.bindMethod(async (inputArguments: Variant[], _context: ISessionContext): Promise<CallMethodResultOptions> => {
        pumpCalls += 1;
        await pumpHold;
        if (variables.get('Pump1.Mode')?.readValue().value.value === 'local') return { statusCode: StatusCodes.BadInvalidState };
        const speed = inputArguments[0]?.value as number;
        pumpStarts.push(speed);
        variables.get('Pump1.Running')?.setValueFromSource({ dataType: DataType.Boolean, value: true });
        variables.get('Pump1.Speed')?.setValueFromSource({ dataType: DataType.UInt16, value: speed });
        return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.Boolean, value: true }] };
      });
    },
  });
}

function livePlc(): TestOpcuaServer {
  assert.ok(plc, 'the PLC is running');
  return plc;
}

/** What the technician configures: monitored items mapped to reservoir metrics, and the commands. */
function agentConfig(endpointUrl: string): Record<string, unknown> {
  return {
    version: 1,
    heartbeatSec: 5,
    sources: [
      {
        kind: 'opcua',
        endpointUrl,
        publishingIntervalMs: 200,
        watchdogMs: 5000,
        items: [
          // Level in cm above the gauge zero at 100 m: metres = cm × 0.01 + 100; changes under 5 cm are not reported.
          { nodeId: `${NS};s=Dam1.Level`, metric: 'water_level', scale: 0.01, offset: 100, deadband: 0.05, samplingIntervalMs: 100 },
          { nodeId: `${NS};s=Pump1.Flow`, metric: 'outflow', samplingIntervalMs: 100 },
        ],
        commands: [
          // 开闸: the gate opening setpoint (%).
          { name: 'open_gate', write: { nodeId: `${NS};s=Gate1.Position`, dataType: 'Double' } },
          // 启泵: the PLC's start method, with the speed.
          { name: 'start_pump', call: { objectId: `${NS};s=Pump1`, methodId: `${NS};s=Pump1.Start` } },
          // Misconfigured on purpose: the PLC's Pump1.Speed is a UInt16, so the server refuses a Double.
          { name: 'set_pump_speed', write: { nodeId: `${NS};s=Pump1.Speed`, dataType: 'Double' } },
        ],
      },
    ],
  };
}

async function startAgent(): Promise<Agent> {
  agent = await createAgent({ dir: agentDir, reconnectMinMs: 100, reconnectMaxMs: 1000 });
  return agent;
}

beforeAll(async () => {
  tp = env.tp;
  tmp = await tempDir('shanshui-opcua-e2e-');
  env.cleanups.push(tmp.remove);
  plcPort = await freePort();
  plc = await startPlc();
  env.cleanups.push(async () => plc?.shutdown());

  const issue = async (name: string, role: string): Promise<HttpApi> => {
    const res = await tp.api.call('POST', '/api/v1/tokens', { name, role, departments: [DEPARTMENT] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return httpApi(tp.httpUrl, res.body.token as string);
  };
  technician = await issue('技术员 technician', 'technician');
  operator = await issue('调度员 operator', 'operator');

  agentDir = await provisionedAgentDir(tp, env.cleanups, { id: STATION, domain: 'reservoir', department: DEPARTMENT });
  // Cleanups run in reverse: the agent running then stops before its folder goes, the PLC after it.
  env.cleanups.push(async () => agent?.stop());
  await startAgent();
});

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

type Row = Record<string, unknown>;

async function levelRows(sinceMs: number): Promise<Row[]> {
  return tp.query(`SELECT water_level, q_water_level FROM reservoir WHERE station = '${STATION}' AND time >= ${sinceMs}ms`);
}

/** Sets Dam1.Level and waits until the reading of that source timestamp is in InfluxDB. */
async function setLevel(raw: number | null, status = StatusCodes.Good): Promise<{ ts: number; row: Row }> {
  const at = new Date();
  livePlc().set('Dam1.Level', raw === null ? { dataType: DataType.Null } : { dataType: DataType.Double, value: raw }, status, at);
  const row = await eventually(async () => (await levelRows(at.getTime())).find((r) => r['time'] === at.getTime()), `water_level at ${at.toISOString()} in InfluxDB`, 30_000);
  return { ts: at.getTime(), row };
}

const round = (v: unknown): number => Math.round(Number(v) * 1e6) / 1e6;

async function heartbeats(sinceMs: number): Promise<Row[]> {
  return tp.query(`SELECT source_opcua_state, source_opcua_reconnects, source_opcua_notifications FROM device_status WHERE station = '${STATION}' AND time >= ${sinceMs}ms`);
}

interface CommandView {
  id: string;
  name: string;
  state: string;
  by: string;
  result: unknown;
  error: string | null;
}

async function send(name: string, args: Record<string, unknown>, ttlSec?: number): Promise<CommandView> {
  const res = await operator.call('POST', `/api/v1/stations/${STATION}/commands`, { name, args, ...(ttlSec ? { ttlSec } : {}) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.command as CommandView;
}

async function answered(id: string): Promise<CommandView> {
  return eventually(async () => {
    const c = (await operator.call('GET', `/api/v1/commands/${id}`)).body.command as CommandView;
    return c.state === 'succeeded' || c.state === 'failed' || c.state === 'expired' ? c : undefined;
  }, `command ${id} answered`, 60_000);
}

/** The agent's structured result (sent as JSON text in its event) is an object in the API. */
function resultOf(c: CommandView): Record<string, unknown> {
  assert.ok(c.result !== null && typeof c.result === 'object', `result of ${c.name}: ${JSON.stringify(c.result)}`);
  return c.result as Record<string, unknown>;
}

test('a technician configures the agent through the platform; PLC values reach InfluxDB scaled, deadbanded, with OPC-UA status codes as qualities', { timeout: 120_000 }, async () => {
  const put = await technician.call('PUT', `/api/v1/stations/${STATION}/config`, agentConfig(livePlc().endpointUrl));
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await eventually(
    async () => (await tp.query(`SELECT version FROM device_events WHERE station = '${STATION}' AND "type" = 'config_applied'`)).some((e) => e['version'] === 1),
    'config_applied v1 reported by the agent',
    60_000,
  );
  const a = agent!;
  assert.equal(a.config().version, 1);
  await eventually(() => a.stats().sources['source_opcua_state'] === 'connected', 'the OPC-UA session', 60_000);

  // The initial values arrive on subscription: 1990 cm → 119.9 m, Flow 10.
  await eventually(async () => (await tp.query(`SELECT water_level, outflow FROM reservoir WHERE station = '${STATION}'`)).some((r) => round(r['water_level']) === 119.9), 'the initial level', 30_000);

  const first = await setLevel(2000);
  // 3 cm is inside the 5 cm deadband: the server holds it back. The next reported change is
  // 10 cm from the last reported value. Ten sampling intervals lie between the two.
  const inside = new Date();
  livePlc().set('Dam1.Level', { dataType: DataType.Double, value: 2003 }, StatusCodes.Good, inside);
  await sleep(1000);
  const beyond = await setLevel(2010);
  // A status change is reported even with the value unchanged (DataChangeTrigger StatusValue).
  const fault = await setLevel(2010, StatusCodes.BadSensorFailure);
  const overRange = await setLevel(2500, StatusCodes.UncertainEngineeringUnitsExceeded);
  // Bad without a value: the last value travels with the quality.
  const noComm = await setLevel(null, StatusCodes.BadNoCommunication);
  const good = await setLevel(2020);

  const rows = (await levelRows(first.ts)).map((r) => [r['time'], round(r['water_level']), r['q_water_level']]);
  assert.deepEqual(rows, [
    [first.ts, 120, 'ok'],
    [beyond.ts, 120.1, 'ok'],
    [fault.ts, 120.1, 'fault'],
    [overRange.ts, 125, 'over_range'],
    [noComm.ts, 125, 'comm_error'],
    [good.ts, 120.2, 'ok'],
  ]);
  assert.ok(!rows.some((r) => r[0] === inside.getTime()), 'the change inside the deadband was not stored');

  // A second item in the same subscription.
  const flowAt = new Date();
  livePlc().set('Pump1.Flow', { dataType: DataType.Double, value: 12.5 }, StatusCodes.Good, flowAt);
  await eventually(
    async () => (await tp.query(`SELECT outflow FROM reservoir WHERE station = '${STATION}' AND time = ${flowAt.getTime()}ms`)).some((r) => r['outflow'] === 12.5),
    'outflow 12.5',
    30_000,
  );
  assert.ok(Number(a.stats().sources['source_opcua_bad_quality']) >= 3);
});

test('PLC restart on the same port: the heartbeat shows the source down, the session is repaired, and readings after the restart are stored', { timeout: 150_000 }, async () => {
  const a = agent!;
  assert.equal(a.stats().sources['source_opcua_state'], 'connected');
  const reconnectsBefore = Number(a.stats().sources['source_opcua_reconnects']);

  const outageAt = Date.now();
  await livePlc().shutdown();
  plc = undefined;
  // The heartbeat (every 5 s) carries the source's state to the platform.
  const down = await eventually(
    async () => (await heartbeats(outageAt)).find((r) => r['source_opcua_state'] !== 'connected'),
    'a heartbeat with the OPC-UA source not connected',
    60_000,
  );
  assert.match(String(down['source_opcua_state']), /^(connecting|disconnected)$/);

  // An operator's command meanwhile comes back failed, saying why.
  const meanwhile = await answered((await send('open_gate', { value: 10 })).id);
  assert.equal(meanwhile.state, 'failed');
  assert.match(meanwhile.error ?? '', /EDGE_ERR_OPCUA_NOT_CONNECTED/);

  const restartedAt = Date.now();
  plc = await startPlc();
  await eventually(
    () => a.stats().sources['source_opcua_state'] === 'connected' && Number(a.stats().sources['source_opcua_reconnects']) > reconnectsBefore,
    'the session repaired',
    90_000,
  );
  const after = await setLevel(2100);
  assert.equal(round(after.row['water_level']), 121);
  assert.equal(after.row['q_water_level'], 'ok');
  const flowAt = new Date();
  livePlc().set('Pump1.Flow', { dataType: DataType.Double, value: 33 }, StatusCodes.Good, flowAt);
  await eventually(
    async () => (await tp.query(`SELECT outflow FROM reservoir WHERE station = '${STATION}' AND time = ${flowAt.getTime()}ms`)).some((r) => r['outflow'] === 33),
    'outflow after the restart',
    30_000,
  );

  const up = await eventually(
    async () => (await heartbeats(restartedAt)).find((r) => r['source_opcua_state'] === 'connected' && Number(r['source_opcua_reconnects']) > reconnectsBefore),
    'a heartbeat with the source connected again and the reconnect counted',
    60_000,
  );
  assert.ok(Number(up['source_opcua_notifications']) > 0);
});

test('a recalibration pushed by the technician as config v2 applies without restarting the agent', { timeout: 120_000 }, async () => {
  const a = agent!;
  // The gauge zero was surveyed again: 100.5 m instead of 100 m.
  const v2 = agentConfig(livePlc().endpointUrl) as { version: number; sources: Array<{ items: Array<{ offset: number }> }> };
  v2.version = 2;
  v2.sources[0]!.items[0]!.offset = 100.5;
  const put = await technician.call('PUT', `/api/v1/stations/${STATION}/config`, v2);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await eventually(() => a.config().version === 2 && a.stats().sources['source_opcua_state'] === 'connected', 'config v2 running and connected', 60_000);
  const recalibrated = await setLevel(2150);
  assert.equal(round(recalibrated.row['water_level']), 122);
});

test('command round trip: an operator opens the gate (OPC-UA write) and starts the pump (method call); server refusals come back failed with the reason; all audited', { timeout: 120_000 }, async () => {
  const a = agent!;
  await eventually(() => a.stats().sources['source_opcua_state'] === 'connected', 'the OPC-UA session', 60_000);
  const srv = livePlc();
  assert.equal(srv.get('Gate1.Position'), 0);

  const open = await answered((await send('open_gate', { value: 35 })).id);
  assert.equal(open.state, 'succeeded', JSON.stringify(open));
  assert.deepEqual(resultOf(open), { statusCode: 'Good' });
  assert.equal(srv.get('Gate1.Position'), 35, 'the gate setpoint was written on the PLC');

  const start = await answered((await send('start_pump', { inputArguments: [{ dataType: 'UInt16', value: 1450 }] })).id);
  assert.equal(start.state, 'succeeded', JSON.stringify(start));
  assert.deepEqual(resultOf(start), { statusCode: 'Good', outputArguments: [{ dataType: 'Boolean', value: true }] });
  assert.deepEqual(pumpStarts, [1450], 'the PLC ran its start method once');
  assert.equal(srv.get('Pump1.Running'), true);
  assert.equal(srv.get('Pump1.Speed'), 1450);

  // The platform accepts a number for a Double; the PLC's node is a UInt16 and refuses the write.
  const wrongType = await answered((await send('set_pump_speed', { value: 900 })).id);
  assert.equal(wrongType.state, 'failed');
  assert.match(wrongType.error ?? '', /EDGE_ERR_OPCUA_COMMAND_FAILED.*BadTypeMismatch/);
  assert.deepEqual(resultOf(wrongType), { statusCode: 'BadTypeMismatch' });
  assert.equal(srv.get('Pump1.Speed'), 1450, 'the refused write changed nothing');

  // In local mode (就地) the PLC's interlock refuses a remote start.
  srv.set('Pump1.Mode', { dataType: DataType.String, value: 'local' });
  const refused = await answered((await send('start_pump', { inputArguments: [{ dataType: 'UInt16', value: 1200 }] })).id);
  assert.equal(refused.state, 'failed');
  assert.match(refused.error ?? '', /EDGE_ERR_OPCUA_COMMAND_FAILED.*BadInvalidState/);
  assert.deepEqual(pumpStarts, [1450]);
  assert.equal(srv.get('Pump1.Speed'), 1450);
  srv.set('Pump1.Mode', { dataType: DataType.String, value: 'auto' });

  // Every command, and the technician's config, in the audit log under who did it.
  const audit = await operator.call('GET', `/api/v1/audit?target=${STATION}`);
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  const entries = audit.body.items as Array<{ actorName: string; actorRole: string; method: string; route: string; status: number; summary: { commandId?: string; name?: string; args?: unknown } }>;
  const commandEntries = entries.filter((e) => e.route === '/api/v1/stations/:id/commands' && e.method === 'POST');
  assert.deepEqual(
    commandEntries.slice(0, 4).map((e) => [e.actorName, e.actorRole, e.status, e.summary.commandId, e.summary.name]).reverse(),
    [open, start, wrongType, refused].map((c) => ['调度员 operator', 'operator', 202, c.id, c.name]),
  );
  assert.deepEqual(commandEntries.find((e) => e.summary.commandId === open.id)?.summary.args, { value: 35 });
  assert.ok(entries.some((e) => e.route === '/api/v1/stations/:id/config' && e.method === 'PUT' && e.actorRole === 'technician'), 'the config change is audited');
});

test('a command sent while the agent is offline is carried out when it returns; one that expired meanwhile never reaches the PLC', { timeout: 120_000 }, async () => {
  await agent!.stop();
  agent = undefined;
  await eventually(async () => (await operator.call('GET', `/api/v1/stations/${STATION}`)).body.presence?.online === false, 'the agent offline', 30_000);

  const waiting = await send('open_gate', { value: 60 }, 600);
  const expiring = await send('open_gate', { value: 99 }, 1);
  assert.equal(waiting.state, 'pending');
  assert.equal((await answered(expiring.id)).state, 'expired');
  assert.equal(livePlc().get('Gate1.Position'), 35, 'nothing reached the PLC while the agent was away');

  const returned = await startAgent();
  const done = await answered(waiting.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.equal(livePlc().get('Gate1.Position'), 60);
  assert.equal(returned.stats().commandsExecuted, 1, 'the expired command was never delivered');
  assert.equal((await operator.call('GET', `/api/v1/commands/${expiring.id}`)).body.command.state, 'expired');
});

test('an agent restarted with a command\'s answer still in its buffer does not run the command again when the platform resends it', { timeout: 150_000 }, async () => {
  await eventually(() => agent?.stats().sources['source_opcua_state'] === 'connected', 'the OPC-UA session', 60_000);
  const startsBefore = pumpStarts.length;
  let release!: () => void;
  pumpHold = new Promise<void>((resolve) => (release = resolve));
  const callsBefore = pumpCalls;
  const command = await send('start_pump', { inputArguments: [{ dataType: 'UInt16', value: 1300 }] });
  try {
    await eventually(() => pumpCalls > callsBefore, 'the PLC working on the start', 30_000);
    // The uplink goes away while the pump starts: the answer stays in the agent's buffer…
    await tp.stop();
    const executedBefore = agent!.stats().commandsExecuted;
    release();
    await eventually(() => agent!.stats().commandsExecuted > executedBefore, 'the answer buffered', 30_000);
  } finally {
    release();
    pumpHold = undefined;
  }
  assert.deepEqual(pumpStarts.slice(startsBefore), [1300]);
  // …and the gateway restarts before the uplink returns.
  await agent!.stop();
  agent = undefined;
  await tp.start();
  const returned = await startAgent();

  // The platform never got the answer, so it sends the command again; the buffered answer arrives.
  const done = await answered(command.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  // A command sent after it is handled after it (one MQTT session, QoS 1, in order).
  const later = await answered((await send('open_gate', { value: 61 })).id);
  assert.equal(later.state, 'succeeded');
  assert.equal(livePlc().get('Gate1.Position'), 61);
  assert.deepEqual(pumpStarts.slice(startsBefore), [1300], 'the pump was started once, not again after the restart');
  assert.equal(returned.stats().commandsExecuted, 1, 'only the later command ran on the restarted agent');
});

test('an agent killed (SIGKILL) while a command acts on the PLC does not act again when the command is resent: it answers failed, state unknown', { timeout: 150_000 }, async () => {
  // The gateway program as a process of its own, on the same agent folder, so it can be killed for real.
  await agent?.stop();
  agent = undefined;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'edge-agent/src/cli.ts'), 'run', '--dir', agentDir, '--log-level', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const startsBefore = pumpStarts.length;
  let release!: () => void;
  pumpHold = new Promise<void>((resolve) => (release = resolve));
  const callsBefore = pumpCalls;
  let command: CommandView;
  try {
    command = await send('start_pump', { inputArguments: [{ dataType: 'UInt16', value: 1200 }] });
    await eventually(() => pumpCalls > callsBefore, 'the PLC working on the start', 60_000);
    // The gateway dies in the middle of the call: no answer is ever buffered.
    child.kill('SIGKILL');
    await exited;
  } finally {
    child.kill('SIGKILL');
    release(); // the PLC finishes the start on its own
    pumpHold = undefined;
  }
  await eventually(() => pumpStarts.length > startsBefore, 'the PLC finished the start');
  await startAgent();

  // The platform has no answer and sends the command again: the agent may have acted, so it must not act twice.
  const done = await answered(command.id);
  assert.equal(done.state, 'failed', JSON.stringify(done));
  assert.match(done.error ?? '', /interrupted.*state is unknown/);
  assert.deepEqual(pumpStarts.slice(startsBefore), [1200], 'the pump was started once');
});
