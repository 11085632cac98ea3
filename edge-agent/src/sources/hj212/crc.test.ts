import { test } from 'vitest';
import assert from 'node:assert/strict';
import { hj212Crc, hj212CrcHex } from './crc.ts';
import { VERIFIED_PACKETS } from './verified-packets.fixture.ts';

test('HJ 212 §1.2 CRC of the empty data segment is FFFF', () => {
  assert.equal(hj212Crc(''), 0xffff);
  assert.equal(hj212CrcHex(Buffer.alloc(0)), 'FFFF');
});

for (const [i, frame] of VERIFIED_PACKETS.entries()) {
  test(`HJ 212 §1.3 verified packet ${i + 1}: CRC of the data segment matches the frame`, () => {
    const data = frame.slice(6, -6);
    const crc = frame.slice(-6, -2);
    assert.equal(hj212CrcHex(data), crc);
    assert.equal(hj212Crc(Buffer.from(data)), Number.parseInt(crc, 16));
  });
}

test('HJ 212 §1.2 the HJ 212 CRC differs from CRC-16/MODBUS', () => {
  // CRC-16/MODBUS("123456789") = 0x4B37 (the catalogue check value); HJ 212's variant must not equal it.
  assert.notEqual(hj212Crc('123456789'), 0x4b37);
});
