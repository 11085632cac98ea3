/**
 * Modbus source configuration (RTU over RS-485, or TCP): a register map read by polling, and
 * the register writes the platform may command (遥控: gate opening %, pump on/off).
 * Register tables and function codes follow the Modbus Application Protocol v1.1b3 §6
 * (docs/standards/modbus.md).
 */
import * as z from 'zod';
import { DEVICE_ID_PATTERN } from './topics.ts';

/** The four Modbus data tables: coils (FC 1/5), discrete inputs (FC 2), holding (FC 3/6/16), input registers (FC 4). */
export const MODBUS_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
/** How one value is laid out: bool (one coil / discrete input) or a number over 1, 2 or 4 registers. */
export const MODBUS_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];

/** Registers (16-bit words) a value of `type` occupies; bool: one bit. */
export const modbusWords = (type: ModbusType): number =>
  type === 'float64' ? 4 : type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;

const ORDER = z.enum(['big', 'little']);

const layout = {
  /** Value type. Default `uint16` for registers, `bool` for coils and discrete inputs. */
  type: z.enum(MODBUS_TYPES).optional(),
  /** Byte order inside each 16-bit register. Default `big` (the Modbus standard). */
  byteOrder: ORDER.default('big'),
  /** Order of the registers of a 32/64-bit value: `big` = most significant word first (ABCD), `little` = CDAB. Default `big`. */
  wordOrder: ORDER.default('big'),
  /** engineering value = raw × scale + offset. Default 1 and 0. */
  scale: z.number().refine((n) => n !== 0, 'not 0').default(1),
  offset: z.number().default(0),
};

/** Checks a value's type against its table: bits are bool, registers are numbers. */
function typeFitsTable(p: { table: (typeof MODBUS_TABLES)[number]; type?: ModbusType | undefined }, ctx: z.RefinementCtx): void {
  const bits = p.table === 'coil' || p.table === 'discrete';
  if (p.type !== undefined && bits !== (p.type === 'bool')) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: bits ? `a ${p.table} holds one bit: type bool` : `a ${p.table} register holds a number: not bool` });
  }
}

export const ModbusPointSchema = z
  .object({
    /** Station metric it feeds, e.g. `soil_moisture_10cm`. */
    metric: z.string().min(1).max(64),
    table: z.enum(MODBUS_TABLES),
    /** 0-based protocol address (register 40001 is holding address 0). */
    address: z.number().int().min(0).max(65535),
    ...layout,
    /** Child station this value belongs to. Default: the group's station, else the agent's own. */
    stationId: z.string().regex(DEVICE_ID_PATTERN, 'a station id').optional(),
  })
  .strict()
  .superRefine(typeFitsTable);

export const ModbusGroupSchema = z
  .object({
    /** Slave id (unit id) 1–247; several groups may address several slaves on one bus. */
    slaveId: z.number().int().min(0).max(255),
    /** Poll interval, ms. Default 10000. */
    pollIntervalMs: z.number().int().min(100).default(10_000),
    /** Station of every point of this group (a child of the agent's, or its own). Default the agent's own. */
    stationId: z.string().regex(DEVICE_ID_PATTERN, 'a station id').optional(),
    points: z.array(ModbusPointSchema).min(1).max(500),
  })
  .strict();

export const ModbusCommandSchema = z
  .object({
    /** Command name the platform sends, e.g. `set_gate_opening`, `pump_on`. */
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    slaveId: z.number().int().min(0).max(255),
    /** Writable tables only: a coil (FC 5) or holding register(s) (FC 6 / FC 16). */
    table: z.enum(['coil', 'holding']),
    address: z.number().int().min(0).max(65535),
    ...layout,
    /** Allowed engineering value range (inclusive), e.g. 0–100 for a gate opening in %. Default: the raw type's range. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** A fixed value written whatever args say (pump_on → true). Default none: `args.value` is written. */
    value: z.union([z.number(), z.boolean()]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    typeFitsTable(c, ctx);
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) ctx.addIssue({ code: 'custom', path: ['min'], message: 'min above max' });
  });

const TransportSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('tcp'),
      host: z.string().min(1),
      /** Default 502. */
      port: z.number().int().min(1).max(65535).default(502),
    })
    .strict(),
  z
    .object({
      type: z.literal('rtu'),
      /** Serial device, e.g. `/dev/ttyUSB0` (an RS-485 adapter) or `/dev/ttyS1`. */
      device: z.string().regex(/^\/dev\//, 'a /dev/… serial device path'),
      /** Default 9600 (most field sensors). */
      baudRate: z.number().int().min(300).max(921_600).default(9600),
      parity: z.enum(['none', 'even', 'odd']).default('none'),
      dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
      stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    })
    .strict(),
]);

export const ModbusSourceFields = {
  kind: z.literal('modbus'),
  transport: TransportSchema,
  /** Answer timeout of one request, ms: past it the slave counts as silent. Default 1000. */
  timeoutMs: z.number().int().min(50).max(60_000).default(1000),
  groups: z.array(ModbusGroupSchema).min(1).max(64),
  commands: z.array(ModbusCommandSchema).max(200).default([]),
};

export type ModbusPoint = z.output<typeof ModbusPointSchema>;
export type ModbusGroup = z.output<typeof ModbusGroupSchema>;
export type ModbusCommand = z.output<typeof ModbusCommandSchema>;

/** The value type of a point or command, defaults applied. */
export const modbusTypeOf = (p: { table: string; type?: ModbusType | undefined }): ModbusType =>
  p.type ?? (p.table === 'coil' || p.table === 'discrete' ? 'bool' : 'uint16');

const RAW_RANGE: Record<Exclude<ModbusType, 'bool'>, [number, number]> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-3.4e38, 3.4e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

/**
 * The value a Modbus command writes, checked (the platform before sending, the agent before
 * writing): a boolean for a coil; for a register a number in [min, max] whose raw value
 * ((value − offset) / scale, rounded for integer types) fits the register type.
 * Returns the value to write or the reason it is refused.
 */
export function modbusCommandValue(def: ModbusCommand, args: Record<string, unknown>): { ok: true; value: number | boolean } | { ok: false; reason: string } {
  const v = def.value ?? args['value'];
  const type = modbusTypeOf(def);
  if (type === 'bool') {
    if (typeof v === 'boolean') return { ok: true, value: v };
    if (v === 0 || v === 1) return { ok: true, value: v === 1 };
    return { ok: false, reason: `${def.name} needs args.value: boolean (coil)` };
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return { ok: false, reason: `${def.name} needs args.value: number (${type})` };
  if (def.min !== undefined && v < def.min) return { ok: false, reason: `${def.name}: args.value ${v} below min ${def.min}` };
  if (def.max !== undefined && v > def.max) return { ok: false, reason: `${def.name}: args.value ${v} above max ${def.max}` };
  const raw = (v - def.offset) / def.scale;
  const [lo, hi] = RAW_RANGE[type];
  const rounded = type.startsWith('float') ? raw : Math.round(raw);
  if (rounded < lo || rounded > hi) return { ok: false, reason: `${def.name}: args.value ${v} out of the ${type} register range` };
  return { ok: true, value: v };
}
