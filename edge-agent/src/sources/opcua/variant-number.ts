/**
 * The number a monitored value carries, or `undefined` when it carries none: only scalars of
 * numeric types, booleans as 1/0. Strings, byte strings, dates, arrays, structures and null are
 * kept out of readings (a metric is a number).
 */
import { DataType, VariantArrayType } from 'node-opcua';
import type { Variant } from 'node-opcua';

const TWO_POW_32 = 2 ** 32;

export function variantToNumber(variant: Variant | null | undefined): number | undefined {
  if (!variant || variant.arrayType !== VariantArrayType.Scalar) return undefined;
  const value: unknown = variant.value;
  switch (variant.dataType) {
    case DataType.Boolean:
      return typeof value === 'boolean' ? (value ? 1 : 0) : undefined;
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case DataType.Int64:
      return int64ToNumber(value, true);
    case DataType.UInt64:
      return int64ToNumber(value, false);
    default:
      return undefined;
  }
}

/**
 * node-opcua carries 64-bit integers as `[high, low]` unsigned 32-bit words (two's complement
 * for Int64); precision ends at 2^53.
 */
function int64ToNumber(value: unknown, signed: boolean): number | undefined {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number') {
    const high = signed && value[0] >= 0x80000000 ? value[0] - TWO_POW_32 : value[0];
    return high * TWO_POW_32 + (value[1] >>> 0);
  }
  return undefined;
}
