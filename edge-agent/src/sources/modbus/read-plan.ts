/**
 * A group's points → the fewest read requests: points of one table are merged into one block
 * when the gap between them is small, within the protocol's limits per request (Modbus
 * Application Protocol §6.1–6.4: at most 2000 coils / discrete inputs, 125 registers).
 */
import type { ModbusPoint } from '@shanshui/models/edge';
import { modbusTypeOf, modbusWords } from '@shanshui/models/edge';

export type ModbusTable = ModbusPoint['table'];

export interface ReadBlock {
  readonly table: ModbusTable;
  /** First address read. */
  readonly address: number;
  /** Registers (or bits) read. */
  readonly length: number;
  /** Points served by this block. */
  readonly points: readonly ModbusPoint[];
}

export const READ_PLAN_LIMITS = {
  /** Most registers in one read (FC 3 / 4). */
  maxRegisters: 125,
  /** Most bits in one read (FC 1 / 2). */
  maxBits: 2000,
  /** Unused registers read across to join two points into one request. */
  maxGap: 8,
};

/** Registers or bits a point spans. */
export const pointSpan = (p: ModbusPoint): number => (p.table === 'coil' || p.table === 'discrete' ? 1 : modbusWords(modbusTypeOf(p)));

export function planReads(points: readonly ModbusPoint[], limits = READ_PLAN_LIMITS): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byTable = new Map<ModbusTable, ModbusPoint[]>();
  for (const p of points) byTable.set(p.table, [...(byTable.get(p.table) ?? []), p]);
  for (const [table, list] of byTable) {
    const max = table === 'coil' || table === 'discrete' ? limits.maxBits : limits.maxRegisters;
    const sorted = [...list].sort((a, b) => a.address - b.address);
    let current: { address: number; end: number; points: ModbusPoint[] } | undefined;
    for (const p of sorted) {
      const end = p.address + pointSpan(p);
      if (current && p.address - current.end <= limits.maxGap && Math.max(end, current.end) - current.address <= max) {
        current.end = Math.max(current.end, end);
        current.points.push(p);
        continue;
      }
      if (current) blocks.push({ table, address: current.address, length: current.end - current.address, points: current.points });
      current = { address: p.address, end, points: [p] };
    }
    if (current) blocks.push({ table, address: current.address, length: current.end - current.address, points: current.points });
  }
  return blocks;
}
