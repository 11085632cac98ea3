/** Register layouts of 16/32/64-bit values: every type, both byte orders, both word orders. */
import { test, expect } from 'vitest';
import { decodeRegisters, encodeRegisters } from './register-codec.ts';
import type { RegisterLayout } from './register-codec.ts';

const L = (type: RegisterLayout['type'], byteOrder: 'big' | 'little' = 'big', wordOrder: 'big' | 'little' = 'big'): RegisterLayout => ({ type, byteOrder, wordOrder });

test('16-bit values: signed and unsigned, byte swap', () => {
  expect(decodeRegisters([0xfffe], L('int16'))).toBe(-2);
  expect(decodeRegisters([0xfffe], L('uint16'))).toBe(65534);
  expect(decodeRegisters([0x3412], L('uint16', 'little'))).toBe(0x1234);
});

test('32-bit values in ABCD, CDAB, BADC and DCBA layouts', () => {
  // 123456.5 as float32 = 0x47F12040
  expect(decodeRegisters([0x47f1, 0x2040], L('float32'))).toBe(123456.5);
  expect(decodeRegisters([0x2040, 0x47f1], L('float32', 'big', 'little'))).toBe(123456.5);
  expect(decodeRegisters([0xf147, 0x4020], L('float32', 'little', 'big'))).toBe(123456.5);
  expect(decodeRegisters([0x4020, 0xf147], L('float32', 'little', 'little'))).toBe(123456.5);
  expect(decodeRegisters([0xffff, 0xfffe], L('int32'))).toBe(-2);
  expect(decodeRegisters([0x0001, 0x0000], L('uint32'))).toBe(65536);
  expect(decodeRegisters([0x0000, 0x0001], L('uint32', 'big', 'little'))).toBe(65536);
});

test('64-bit floats, and encode is the inverse of decode for every layout', () => {
  for (const type of ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const) {
    for (const byteOrder of ['big', 'little'] as const) {
      for (const wordOrder of ['big', 'little'] as const) {
        const value = type.startsWith('float') ? 12.5 : type.startsWith('u') ? 40000 : -1234;
        const layout = L(type, byteOrder, wordOrder);
        expect(decodeRegisters(encodeRegisters(value, layout), layout)).toBe(value);
      }
    }
  }
  expect(encodeRegisters(1, L('float64'))).toEqual([0x3ff0, 0, 0, 0]);
});

test('a wrong register count or an out-of-range value throws', () => {
  expect(() => decodeRegisters([1], L('float32'))).toThrow(/needs 2 registers/);
  expect(() => encodeRegisters(70000, L('uint16'))).toThrow(RangeError);
});
