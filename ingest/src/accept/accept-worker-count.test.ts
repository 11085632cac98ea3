import { expect, test } from 'vitest';
import { acceptWorkerCount } from './accept-worker-count.ts';
import { parseConfig } from '../config.ts';

test('auto: none on one or two cores, the cores less one from three on, at most four; a number as given', () => {
  expect([1, 2, 3, 4, 8, 64].map((cores) => acceptWorkerCount('auto', cores))).toEqual([0, 0, 2, 3, 4, 4]);
  expect(acceptWorkerCount(0, 8)).toBe(0);
  expect(acceptWorkerCount(3, 2)).toBe(3);
});

test('SHANSHUI_ACCEPT_WORKERS: auto by default, a number or auto, nothing else', () => {
  expect(parseConfig({}).accept.workers).toBe('auto');
  expect(parseConfig({ acceptWorkers: '2' }).accept.workers).toBe(2);
  expect(parseConfig({ acceptWorkers: 'auto' }).accept.workers).toBe('auto');
  expect(() => parseConfig({ acceptWorkers: 'many' })).toThrow(/SHANSHUI_ACCEPT_WORKERS|acceptWorkers/);
  expect(() => parseConfig({ acceptWorkers: -1 })).toThrow(/acceptWorkers|ACCEPT_WORKERS/);
});
