/** How the configured items become CreateMonitoredItems requests. */
import { test, expect } from 'vitest';
import { monitoredItemBatches, rawDeadband } from './monitored-items.ts';

const item = (samplingIntervalMs: number, deadband = 0, scale = 1): { samplingIntervalMs: number; deadband: number; scale: number } => ({ samplingIntervalMs, deadband, scale });

test('the deadband is configured in metric units and sent in raw units', () => {
  expect(rawDeadband({ deadband: 1, scale: 2 })).toBe(0.5);
  expect(rawDeadband({ deadband: 1, scale: -0.5 })).toBe(2);
  expect(rawDeadband({ deadband: 0, scale: 2 })).toBe(0);
  expect(rawDeadband({ deadband: 1, scale: 0 })).toBe(0);
});

test('one request per (sampling interval, raw deadband), in configured order, at most itemsPerCall items each', () => {
  const items = [item(100), item(100, 1, 2), item(500), item(100), item(100, 0.5, 1), item(100)];
  expect(monitoredItemBatches(items)).toEqual([
    { samplingIntervalMs: 100, deadband: 0, indexes: [0, 3, 5] },
    { samplingIntervalMs: 100, deadband: 0.5, indexes: [1, 4] },
    { samplingIntervalMs: 500, deadband: 0, indexes: [2] },
  ]);
  expect(monitoredItemBatches(items, 2).map((b) => b.indexes)).toEqual([[0, 3], [5], [1, 4], [2]]);
});
