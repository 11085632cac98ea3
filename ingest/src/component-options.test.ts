import { test, expect } from 'vitest';
import { pino } from 'pino';
import { DeliveryWorker, DELIVERY_WORKER_DEFAULTS } from './webhooks/delivery-worker.ts';
import { InfluxDrain } from './store/influx-drain.ts';
import { MemorySpool } from './spool/memory-spool.ts';
import { createMetrics } from './metrics.ts';
import { WARNINGS_DEFAULTS, WarningsOptionsSchema } from './alerts/start-warnings.ts';
import type { OutboxStore } from './webhooks/outbox-store.ts';
import type { InfluxWriter } from './store/influx-write-targets.ts';
import { RuleEngine } from './rules/rule-engine.ts';
import { OutboundGuard } from './webhooks/outbound-guard.ts';
import { createGuardedDispatcher } from './webhooks/guarded-dispatcher.ts';
import type { RuleStore } from './rules/rule-store.ts';

const logger = pino({ level: 'silent' });
const metrics = createMetrics();

test('component options: validated at construction, the component and key named; defaults come from one schema each', () => {
  const worker = (options: object) =>
    new DeliveryWorker({ outbox: {} as OutboxStore, subscriptions: () => [], nodeId: 'n', logger, metrics, dispatcher: createGuardedDispatcher(new OutboundGuard({ allowNetworks: [], ownPorts: () => [] }), { connectTimeoutMs: 1000 }) }, options as never);
  expect(() => worker({ timeoutMs: 0 })).toThrow(/DeliveryWorker\.timeoutMs: Too small/);
  expect(() => worker({ maxAtempts: 3 })).toThrow(/DeliveryWorker\.\(options\): Unrecognized key/);
  expect(() => worker({ timeoutMs: 2000 })).not.toThrow();
  expect(DELIVERY_WORKER_DEFAULTS).toMatchObject({ timeoutMs: 5000, maxAttempts: 15, claimMarginMs: 30_000 });

  const drain = (options: object) => new InfluxDrain(new MemorySpool(1024), {} as InfluxWriter, { logger, metrics, deadLetters: async () => {} }, options as never);
  expect(() => drain({ retryMaxMs: -1 })).toThrow(/InfluxDrain\.retryMaxMs/);
  expect(() => drain({})).not.toThrow();

  expect(WARNINGS_DEFAULTS).toMatchObject({ staleCheckIntervalMs: 10_000, ruleStateFlushMs: 1000, reloadMs: 5000, delivery: { timeoutMs: 5000 } });
  expect(WarningsOptionsSchema.parse({ delivery: { timeoutMs: 1000 } }).delivery).toMatchObject({ timeoutMs: 1000, maxAttempts: 15 }); // a partial nested block keeps the other defaults
});

test('RuleEngine options: validated when the engine opens, the key named', async () => {
  const store = { all: async () => [], loadStates: async () => new Map() } as unknown as RuleStore;
  await expect(RuleEngine.open(store, logger, 0, { crossStationOnLeader: 'yes' } as never)).rejects.toThrow(/RuleEngine\.crossStationOnLeader: Invalid input: expected boolean/);
  await expect(RuleEngine.open(store, logger, 0, { station: 'air-1' } as never)).rejects.toThrow(/RuleEngine\.station: a function/);
  await expect(RuleEngine.open(store, logger, 0, { stations: () => undefined } as never)).rejects.toThrow(/RuleEngine\.\(options\): Unrecognized key/);
  await expect(RuleEngine.open(store, logger, 0, { station: () => undefined })).resolves.toBeInstanceOf(RuleEngine);
});
