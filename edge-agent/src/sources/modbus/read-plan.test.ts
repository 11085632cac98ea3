/** Points → read requests: per table, small gaps joined, the protocol's per-request limits kept. */
import { test, expect } from 'vitest';
import { ModbusPointSchema } from '@shanshui/models';
import { planReads } from './read-plan.ts';

const point = (table: string, address: number, type?: string) => ModbusPointSchema.parse({ metric: `m_${table}_${address}`, table, address, ...(type ? { type } : {}) });

test('neighbouring points of one table share a request; tables never mix', () => {
  const blocks = planReads([point('holding', 10, 'float32'), point('holding', 12), point('input', 12), point('coil', 0), point('coil', 3)]);
  expect(blocks.map((b) => [b.table, b.address, b.length, b.points.length])).toEqual([
    ['holding', 10, 3, 2],
    ['input', 12, 1, 1],
    ['coil', 0, 4, 2],
  ]);
});

test('a wide gap or the 125-register limit starts a new request', () => {
  expect(planReads([point('holding', 0), point('holding', 100)]).length).toBe(2);
  const many = Array.from({ length: 70 }, (_, i) => point('input', i * 2, 'uint32'));
  const blocks = planReads(many);
  expect(blocks.length).toBe(2);
  expect(Math.max(...blocks.map((b) => b.length))).toBeLessThanOrEqual(125);
  expect(blocks.reduce((n, b) => n + b.points.length, 0)).toBe(70);
});
