/** The Modbus part of the agent config: what is refused by name, and the command value check both sides make. */
import { test, expect } from 'vitest';
import { SourceConfigSchema } from './agent-config.ts';
import { ModbusCommandSchema, modbusCommandValue } from './modbus-config.ts';

const base = { kind: 'modbus', transport: { type: 'tcp', host: '10.0.0.5' }, groups: [{ slaveId: 1, points: [{ metric: 'water_level', table: 'holding', address: 0, type: 'float32' }] }] };

test('defaults: port 502, timeout 1000 ms, poll 10 s, big-endian, uint16 for registers', () => {
  const c = SourceConfigSchema.parse({ ...base, groups: [{ slaveId: 1, points: [{ metric: 'level', table: 'input', address: 3 }] }] });
  expect(c).toMatchObject({ transport: { type: 'tcp', port: 502 }, timeoutMs: 1000, groups: [{ pollIntervalMs: 10_000, points: [{ byteOrder: 'big', wordOrder: 'big', scale: 1, offset: 0 }] }], commands: [] });
});

test('refused by name: a bit table with a number type, a register with bool, an RTU device outside /dev, scale 0', () => {
  const issues = (input: unknown): string[] => {
    const r = SourceConfigSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  expect(issues({ ...base, groups: [{ slaveId: 1, points: [{ metric: 'x', table: 'coil', address: 0, type: 'float32' }] }] })).toEqual(['groups.0.points.0.type: a coil holds one bit: type bool']);
  expect(issues({ ...base, groups: [{ slaveId: 1, points: [{ metric: 'x', table: 'input', address: 0, type: 'bool' }] }] })[0]).toMatch(/^groups\.0\.points\.0\.type/);
  expect(issues({ ...base, transport: { type: 'rtu', device: 'COM3' } })[0]).toMatch(/^transport\.device: a \/dev/);
  expect(issues({ ...base, groups: [{ slaveId: 1, points: [{ metric: 'x', table: 'input', address: 0, scale: 0 }] }] })[0]).toMatch(/scale: not 0/);
});

test('command values: bounds in engineering units, the raw register range, booleans for coils, fixed values', () => {
  const gate = ModbusCommandSchema.parse({ name: 'set_gate_opening', slaveId: 1, table: 'holding', address: 10, scale: 0.1, min: 0, max: 100 });
  expect(modbusCommandValue(gate, { value: 40 })).toEqual({ ok: true, value: 40 });
  expect(modbusCommandValue(gate, { value: 101 })).toMatchObject({ ok: false, reason: expect.stringMatching(/above max 100/) });
  expect(modbusCommandValue(gate, { value: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/number \(uint16\)/) });
  const raw = ModbusCommandSchema.parse({ name: 'set_raw', slaveId: 1, table: 'holding', address: 10, type: 'int16' });
  expect(modbusCommandValue(raw, { value: 40000 })).toMatchObject({ ok: false, reason: expect.stringMatching(/int16 register range/) });
  const pump = ModbusCommandSchema.parse({ name: 'pump_on', slaveId: 2, table: 'coil', address: 0, value: true });
  expect(modbusCommandValue(pump, {})).toEqual({ ok: true, value: true });
  const coil = ModbusCommandSchema.parse({ name: 'pump', slaveId: 2, table: 'coil', address: 0 });
  expect(modbusCommandValue(coil, { value: 'on' })).toMatchObject({ ok: false });
});
