import { test } from 'vitest';
import assert from 'node:assert/strict';
import { StatusCodes } from 'node-opcua';
import { opcuaStatusToQuality } from './status-quality.ts';

test('OPC-UA status codes map to qualities (OPC UA Part 4 §7.39, Part 8 §6.3.2)', () => {
  const cases: [keyof typeof StatusCodes, string][] = [
    ['Good', 'ok'],
    ['GoodClamped', 'ok'],
    ['GoodLocalOverride', 'manual'],
    ['UncertainSubstituteValue', 'manual'],
    ['UncertainEngineeringUnitsExceeded', 'over_range'],
    ['BadOutOfRange', 'over_range'],
    ['UncertainSensorCalibration', 'calibration'],
    ['BadOutOfService', 'stopped'],
    ['BadCommunicationError', 'comm_error'],
    ['BadNotConnected', 'comm_error'],
    ['BadNoCommunication', 'comm_error'],
    ['BadWaitingForInitialData', 'comm_error'],
    ['UncertainLastUsableValue', 'comm_error'],
    ['UncertainNoCommunicationLastUsableValue', 'comm_error'],
    ['UncertainInitialValue', 'comm_error'],
    ['BadSensorFailure', 'fault'],
    ['BadDeviceFailure', 'fault'],
    ['BadConfigurationError', 'fault'],
    ['BadNodeIdUnknown', 'fault'],
    ['Uncertain', 'fault'],
    ['UncertainSensorNotAccurate', 'fault'],
    ['UncertainSubNormal', 'fault'],
  ];
  for (const [name, quality] of cases) assert.equal(opcuaStatusToQuality(StatusCodes[name] as { value: number }), quality, name);
});

test('info bits (limit, overflow) do not change the quality; raw numbers work too', () => {
  const highLimit = 0x0200; // Part 4 §7.39.1: LimitBits High, with InfoType DataValue (0x0400)
  assert.equal(opcuaStatusToQuality(StatusCodes.Good.value | 0x0400 | highLimit), 'ok');
  assert.equal(opcuaStatusToQuality((StatusCodes.BadNotConnected.value | 0x0400 | 0x0080) >>> 0), 'comm_error');
  assert.equal(opcuaStatusToQuality(0x80000000), 'fault');
  assert.equal(opcuaStatusToQuality(0x40000000), 'fault');
});
