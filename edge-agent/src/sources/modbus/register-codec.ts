/**
 * Modbus registers ⇄ numbers. A register is a 16-bit word sent big-endian (Modbus Application
 * Protocol §4.2, docs/standards/modbus.md); devices differ in how they lay out 32/64-bit values
 * across registers (word order ABCD vs CDAB) and some swap the bytes inside each register.
 */
import type { ModbusType } from '@shanshui/models/edge';
import { modbusWords } from '@shanshui/models/edge';

export type ByteOrder = 'big' | 'little';

export interface RegisterLayout {
  readonly type: Exclude<ModbusType, 'bool'>;
  /** Byte order inside each register; `big` is the standard's. */
  readonly byteOrder: ByteOrder;
  /** `big`: most significant register first. */
  readonly wordOrder: ByteOrder;
}

/** Registers → the big-endian byte string of the value (words reordered, bytes swapped as laid out). */
function toBigEndianBytes(words: readonly number[], layout: RegisterLayout): Buffer {
  const ordered = layout.wordOrder === 'big' ? words : [...words].reverse();
  const buf = Buffer.alloc(ordered.length * 2);
  ordered.forEach((w, i) => {
    const hi = (w >> 8) & 0xff;
    const lo = w & 0xff;
    buf[i * 2] = layout.byteOrder === 'big' ? hi : lo;
    buf[i * 2 + 1] = layout.byteOrder === 'big' ? lo : hi;
  });
  return buf;
}

/** The value held by `words` (exactly `modbusWords(type)` registers, each 0–65535). */
export function decodeRegisters(words: readonly number[], layout: RegisterLayout): number {
  const n = modbusWords(layout.type);
  if (words.length !== n) throw new RangeError(`${layout.type} needs ${n} registers, got ${words.length}`);
  const b = toBigEndianBytes(words, layout);
  switch (layout.type) {
    case 'int16':
      return b.readInt16BE(0);
    case 'uint16':
      return b.readUInt16BE(0);
    case 'int32':
      return b.readInt32BE(0);
    case 'uint32':
      return b.readUInt32BE(0);
    case 'float32':
      return b.readFloatBE(0);
    case 'float64':
      return b.readDoubleBE(0);
  }
}

/** The registers that hold raw value `value` (integers are rounded; out of range throws). */
export function encodeRegisters(value: number, layout: RegisterLayout): number[] {
  const n = modbusWords(layout.type);
  const b = Buffer.alloc(n * 2);
  const int = Math.round(value);
  switch (layout.type) {
    case 'int16':
      b.writeInt16BE(int, 0);
      break;
    case 'uint16':
      b.writeUInt16BE(int, 0);
      break;
    case 'int32':
      b.writeInt32BE(int, 0);
      break;
    case 'uint32':
      b.writeUInt32BE(int, 0);
      break;
    case 'float32':
      b.writeFloatBE(value, 0);
      break;
    case 'float64':
      b.writeDoubleBE(value, 0);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < n; i++) {
    const hi = b[i * 2]!;
    const lo = b[i * 2 + 1]!;
    words.push(layout.byteOrder === 'big' ? (hi << 8) | lo : (lo << 8) | hi);
  }
  return layout.wordOrder === 'big' ? words : words.reverse();
}
