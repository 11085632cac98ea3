/**
 * Two Modbus RS-485 sensors behind one edge agent, end to end: a real platform
 * (aedes + ingest + influxd), modbus-serial's ServerSerial answering as two slaves on the far
 * end of a socat pseudo-terminal pair, the register map pushed as remote config and checked by
 * the platform, readings stored in InfluxDB under the gateway and its child station, and a
 * register write (遥控: gate opening %) validated by the platform, executed on the slave and
 * audited.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { eventually } from '../support/test-platform.ts';
import { agentIn, provisionedAgentDir, useAgentPlatform } from '../support/agent-folder.ts';
import { encodeRegisters } from '@shanshui/edge-agent/protocols';
import { startPtyPair, startRtuSlave } from '@shanshui/edge-agent/testing';

const env = useAgentPlatform();
const { cleanups } = env;

test('a register map pushed as remote config: two RS-485 slaves read, stored under the gateway and its child; a gate command validated, written and audited', { timeout: 120_000 }, async () => {
  const dir = await provisionedAgentDir(env.tp, cleanups, { id: 'gw-mb', domain: 'reservoir', department: 'water' });
  await env.tp.api.register({ id: 'gw-mb-soil', domain: 'soil', department: 'water', gatewayId: 'gw-mb' });
  const pty = await startPtyPair();
  cleanups.push(pty.close);
  const slave = await startRtuSlave(pty.b);
  cleanups.push(slave.close);
  // Slave 1: a radar level gauge, float32 in CDAB order. Slave 2: a soil probe, 0.1 % units.
  slave.bank.setWords('input', 1, 0, encodeRegisters(101.25, { type: 'float32', byteOrder: 'big', wordOrder: 'little' }));
  slave.bank.setWords('input', 2, 0, [235]);
  const agent = await agentIn(cleanups, dir);

  const modbus = (metric: string) => ({
    kind: 'modbus',
    transport: { type: 'rtu', device: pty.a, baudRate: 9600 },
    timeoutMs: 1000,
    groups: [
      { slaveId: 1, pollIntervalMs: 500, points: [{ metric: 'water_level', table: 'input', address: 0, type: 'float32', wordOrder: 'little' }] },
      { slaveId: 2, pollIntervalMs: 500, stationId: 'gw-mb-soil', points: [{ metric, table: 'input', address: 0, scale: 0.1 }] },
    ],
    commands: [{ name: 'set_gate_opening', slaveId: 1, table: 'holding', address: 10, scale: 0.1, min: 0, max: 100 }],
  });
  // The platform checks the map: a metric the child's domain does not know is refused by name.
  const bad = await env.tp.api.call('PUT', '/api/v1/stations/gw-mb/config', { version: 1, sources: [modbus('soil_wetness')] });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.match(bad.body.error.message, /sources\.0\.groups\.1\.points\.0\.metric: soil_wetness \(child gw-mb-soil, soil\)/);
  const badType = await env.tp.api.call('PUT', '/api/v1/stations/gw-mb/config', { version: 1, sources: [{ ...modbus('moisture_vol'), groups: [{ slaveId: 1, points: [{ metric: 'water_level', table: 'coil', address: 0, type: 'float32' }] }] }] });
  assert.equal(badType.status, 400, JSON.stringify(badType.body));
  assert.match(badType.body.error.message, /type/);
  const put = await env.tp.api.call('PUT', '/api/v1/stations/gw-mb/config', { version: 1, sources: [modbus('moisture_vol')] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await eventually(() => agent.config().version === 1, 'the agent running config 1', 30_000);

  const level = await eventually(async () => {
    const r = await env.tp.query(`SELECT last(water_level) AS v FROM reservoir WHERE station = 'gw-mb'`);
    return r.length === 1 ? r[0] : undefined;
  }, 'the level gauge stored', 60_000);
  assert.equal(level['v'], 101.25);
  const moisture = await eventually(async () => {
    const r = await env.tp.query(`SELECT last(moisture_vol) AS v FROM soil WHERE station = 'gw-mb-soil'`);
    return r.length === 1 ? r[0] : undefined;
  }, 'the soil probe stored under the child', 60_000);
  assert.equal(moisture['v'], 23.5);

  // 遥控: out of range is refused by the platform before anything is sent; in range is written.
  const refused = await env.tp.api.call('POST', '/api/v1/stations/gw-mb/commands', { name: 'set_gate_opening', args: { value: 150 } });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(refused.body.error.message, /above max 100/);
  const sent = await env.tp.api.call('POST', '/api/v1/stations/gw-mb/commands', { name: 'set_gate_opening', args: { value: 40 } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const done = await eventually(async () => {
    const c = (await env.tp.api.call('GET', `/api/v1/commands/${sent.body.command.id}`)).body.command;
    return c.state === 'succeeded' || c.state === 'failed' ? c : undefined;
  }, 'the command answered', 30_000);
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.deepEqual(slave.bank.writes, [{ unit: 1, table: 'holding', address: 10, value: 400 }]);
  assert.ok(Number(agent.stats().sources['source_modbus_values_read']) >= 2);
  const audit = (await env.tp.api.call('GET', '/api/v1/audit')).body.items as Array<Record<string, unknown>>;
  assert.ok(audit.some((e) => JSON.stringify(e).includes(sent.body.command.id)), 'the command is in the audit log');
});
