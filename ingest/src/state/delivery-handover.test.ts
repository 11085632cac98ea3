/**
 * Delivery statistics of a device that moves between cluster nodes, with the events of the
 * nodes in explicit orders (fake timers, no sleeps): whatever order the readings, presence
 * events, periodic saves, departure saves and refreshes come in, every node ends with the
 * same, right statistics. Three "nodes" (tracker + handover) share one real store (SQLite
 * through the store factory; the same scenarios run on PostgreSQL in test/e2e/postgres-store.test.ts).
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { openPlatformStore } from './open-platform-store.ts';
import type { PlatformStore } from './platform-store.ts';
import { deliveryHandoverContract } from './delivery-handover-contract.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shanshui-handover-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

deliveryHandoverContract('SQLite', async () => {
  const store: PlatformStore = await openPlatformStore({ sqliteFile: path.join(dir, 'state.db'), logger: pino({ level: 'silent' }) });
  // SQLite serves one process: the three nodes share the one store (as the store contract does).
  return { open: async () => store, close: () => store.close() };
});
