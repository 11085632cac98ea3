import { test } from 'vitest';
import assert from 'node:assert/strict';
import { sl651Crc } from './crc.ts';

test('SL 651 §2.1 CRC of the verified keep-alive frame (7E…03) is 6BCA, high byte first', () => {
  const frame = Buffer.from('7E7E01001234567812342F0008020003591011155111036BCA', 'hex');
  const crc = sl651Crc(frame.subarray(0, frame.length - 2));
  assert.equal(crc, 0x6bca);
  assert.equal(frame.readUInt16BE(frame.length - 2), crc);
});

test('SL 651 §2.1 CRC is CRC-16/MODBUS (catalogue check value 4B37 for "123456789")', () => {
  assert.equal(sl651Crc(Buffer.from('123456789')), 0x4b37);
  assert.equal(sl651Crc(Buffer.alloc(0)), 0xffff);
});
