/** modbus-serial's errors → fault kind and quality (Modbus Application Protocol §7 exception codes). */
import { test, expect } from 'vitest';
import { classifyModbusError } from './modbus-fault.ts';

test('timeouts, CRC errors and garbled frames are 通讯异常; exceptions are 故障 with their code', () => {
  expect(classifyModbusError(Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' }))).toMatchObject({ kind: 'timeout', quality: 'comm_error' });
  expect(classifyModbusError(new Error('CRC error'))).toMatchObject({ kind: 'crc', quality: 'comm_error' });
  expect(classifyModbusError(new Error('Data length error, expected 7 got 5'))).toMatchObject({ kind: 'bad_frame' });
  expect(classifyModbusError(Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }))).toMatchObject({ kind: 'exception', exceptionCode: 2, quality: 'fault' });
  expect(classifyModbusError(new Error('Port Not Open'))).toMatchObject({ kind: 'disconnected' });
});
