/**
 * Command arguments from the platform (JSON) → OPC-UA variants, checked before anything is sent
 * to a PLC: a value of the wrong type or out of the type's range is refused with a reason, never
 * coerced (writing `"1"` or `1.5` to an Int32 setpoint is a bug upstream, not a request).
 */
import { DataType } from 'node-opcua';

/** Data types a command may write or pass to a method. */
export const COMMAND_DATA_TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double', 'String'] as const;
export type CommandDataType = (typeof COMMAND_DATA_TYPES)[number];

const INTEGER_RANGE: Readonly<Partial<Record<CommandDataType, readonly [number, number]>>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

const FLOAT_MAX = 3.4028234663852886e38;

export interface CommandVariant {
  dataType: DataType;
  value: boolean | number | string;
}

export type CommandValueResult = { ok: true; variant: CommandVariant } | { ok: false; error: string };

export function isCommandDataType(name: unknown): name is CommandDataType {
  return typeof name === 'string' && (COMMAND_DATA_TYPES as readonly string[]).includes(name);
}

/** Checks `value` against `dataType` and builds the variant to send. */
export function toCommandVariant(dataType: CommandDataType, value: unknown): CommandValueResult {
  const dt = DataType[dataType];
  if (dataType === 'Boolean') {
    return typeof value === 'boolean' ? { ok: true, variant: { dataType: dt, value } } : refuse(dataType, 'a boolean', value);
  }
  if (dataType === 'String') {
    return typeof value === 'string' ? { ok: true, variant: { dataType: dt, value } } : refuse(dataType, 'a string', value);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return refuse(dataType, 'a finite number', value);
  const range = INTEGER_RANGE[dataType];
  if (range) {
    if (!Number.isInteger(value)) return refuse(dataType, 'an integer', value);
    if (value < range[0] || value > range[1]) return { ok: false, error: `${dataType} must be within ${range[0]}…${range[1]}, got ${value}` };
  }
  if (dataType === 'Float' && Math.abs(value) > FLOAT_MAX) return { ok: false, error: `Float out of range, got ${value}` };
  return { ok: true, variant: { dataType: dt, value } };
}

/** `args.inputArguments` of a method call: an array of `{ dataType, value }`; absent = none. */
export function toCallInputArguments(inputArguments: unknown): { ok: true; variants: CommandVariant[] } | { ok: false; error: string } {
  if (inputArguments === undefined) return { ok: true, variants: [] };
  if (!Array.isArray(inputArguments)) return { ok: false, error: 'inputArguments must be an array of {dataType, value}' };
  const variants: CommandVariant[] = [];
  for (const [index, argument] of inputArguments.entries()) {
    if (typeof argument !== 'object' || argument === null) return { ok: false, error: `inputArguments[${index}] must be {dataType, value}` };
    const { dataType, value } = argument as { dataType?: unknown; value?: unknown };
    if (!isCommandDataType(dataType)) {
      return { ok: false, error: `inputArguments[${index}].dataType must be one of ${COMMAND_DATA_TYPES.join(', ')}` };
    }
    const result = toCommandVariant(dataType, value);
    if (!result.ok) return { ok: false, error: `inputArguments[${index}]: ${result.error}` };
    variants.push(result.variant);
  }
  return { ok: true, variants };
}

function refuse(dataType: CommandDataType, expected: string, value: unknown): CommandValueResult {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return { ok: false, error: `${dataType} needs ${expected}, got ${got}` };
}
