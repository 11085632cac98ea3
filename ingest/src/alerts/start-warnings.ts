/**
 * Warnings in one place: rules evaluated on every durable reading → alert lifecycle → InfluxDB
 * `alerts` (through the spool) and the webhook outbox → delivery worker. `startWarnings` works
 * on the platform store and returns its consumer of the platform's events (durable readings,
 * removed stations), what the API routes need, and `stop()`; it registers no routes itself.
 * The publish path only queues a durable message for the rules; they run in flushes, off that
 * path, and each flush's alert changes and rule states are one store transaction, in order per
 * station (rule-flusher.ts).
 */
import type { Logger } from 'pino';
import type { Station } from '@shanshui/models';
import type { PointSink } from '../spool/retrying-appender.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { z } from 'zod';
import { parseComponentOptions } from '../component-options.ts';
import type { PlatformStore } from '../state/platform-store.ts';
import type { RuleStore } from '../rules/rule-store.ts';
import { RuleEngine } from '../rules/rule-engine.ts';
import type { RuleTransition } from '../rules/rule-engine.ts';
import { DEFAULT_RULES } from '../rules/default-rules.ts';
import { CATALOGUE_DEFAULT_RULES } from '../rules/catalogue-default-rules.ts';
import type { AlertStore } from './alert-store.ts';
import { AlertLifecycle } from './alert-lifecycle.ts';
import type { OutboxStore } from '../webhooks/outbox-store.ts';
import type { SubscriptionStore } from '../webhooks/subscription-store.ts';
import { SubscriptionCache } from '../webhooks/subscription-cache.ts';
import { WebhookPublisher } from '../webhooks/webhook-publisher.ts';
import { DeliveryWorker } from '../webhooks/delivery-worker.ts';
import { RuleFlusher } from './rule-flusher.ts';
import { DeliveryWorkerOptionsSchema } from '../webhooks/delivery-worker.ts';
import { OutboundGuard } from '../webhooks/outbound-guard.ts';
import type { OutboundGuardOptions } from '../webhooks/outbound-guard.ts';
import { createGuardedDispatcher } from '../webhooks/guarded-dispatcher.ts';
import type { EventEmitter } from 'node:events';
import type { AlertChanged, PlatformConsumer, ReadingsDurable } from '../platform-events.ts';

export const WarningsOptionsSchema = z
  .object({
    /** Seed DEFAULT_RULES into a new database. Default true. */
    seedDefaultRules: z.boolean().default(true),
    /** How often stale rules are checked, ms. Default 10000. */
    staleCheckIntervalMs: z.number().int().min(10).default(10_000),
    /** How often changed rule state is saved, ms (transitions save at once). Default 1000. */
    ruleStateFlushMs: z.number().int().min(10).default(1000),
    /** How often rules and webhook subscriptions are read again (changes made through other nodes), ms. Default 5000. */
    reloadMs: z.number().int().min(10).default(5000),
    /** Delivery worker options (timeout, retry budget, backoff); defaults in DeliveryWorkerOptionsSchema. */
    delivery: DeliveryWorkerOptionsSchema.default(DeliveryWorkerOptionsSchema.parse({})),
    /** Where webhooks may connect: allow-listed networks and the platform's own ports. Default: no private networks, no own ports known. */
    outbound: z.custom<OutboundGuardOptions>((v) => typeof v === 'object' && v !== null, 'outbound guard options').default({ allowNetworks: [], ownPorts: () => [] }),
  })
  .strict();
export type WarningsOptions = z.output<typeof WarningsOptionsSchema>;

export const WARNINGS_DEFAULTS: WarningsOptions = WarningsOptionsSchema.parse({});

export interface WarningsDeps {
  /** Told of every committed alert change (the platform's 'alert' event). */
  readonly alertChanged?: (e: AlertChanged) => void;
  /** Alert points and data-quality corrections for InfluxDB (through the spool, never awaited). */
  readonly points: PointSink;
  readonly store: Pick<PlatformStore, 'rules' | 'alerts' | 'ruleFlush' | 'subscriptions' | 'outbox'>;
  readonly logger: Logger;
  readonly metrics: Pick<PlatformMetrics, 'alertTransitions' | 'webhookDeliveries' | 'webhookOutboxPending' | 'webhookOutboxDead' | 'ruleFlushMessages' | 'ruleFlushCommits' | 'ruleFlushTransitions' | 'storeReadAt'>;
  readonly stations: { get(id: string): Station | undefined; all(): Station[] };
  /** This platform node (outbox claims name it). Default 'local'. */
  readonly nodeId?: string;
  /**
   * Cluster: this node's leadership of the cross-station rules (stale stations, corroboration).
   * Only the leader decides them, from the states every node saves; a node that becomes leader
   * starts from the open alerts. Unset: one node, which decides them on each reading.
   */
  readonly leadership?: { readonly isLeader: boolean; readonly events: EventEmitter<{ change: [isLeader: boolean] }> };
  readonly options?: z.input<typeof WarningsOptionsSchema>;
  readonly now?: () => number;
}

/** What the API routes need. */
export interface WarningsContext {
  readonly rules: RuleStore;
  readonly engine: RuleEngine;
  readonly alerts: AlertStore;
  readonly lifecycle: AlertLifecycle;
  readonly subscriptions: SubscriptionStore;
  readonly subscriptionCache: SubscriptionCache;
  readonly outbox: OutboxStore;
  readonly worker: DeliveryWorker;
  /** Refuses subscription URLs that point at loopback/private/own ports (checked again at connect time). */
  readonly outbound: OutboundGuard;
  /** Queues a subscription's test event and its snapshot of open alerts. */
  readonly publisher: WebhookPublisher;
  readonly station: (id: string) => Station | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

export interface Warnings extends WarningsContext {
  /** Listens to durable readings (rules) and removed stations (their alerts resolve). */
  readonly consumer: PlatformConsumer;
  /** A station was deleted: resolves its open alerts and forgets its rule state. */
  stationRemoved(stationId: string): Promise<void>;
  /** Evaluates the readings queued for the rules now; resolves once their alert changes (and any before them) are committed (tests and shutdown wait for it). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWarnings(deps: WarningsDeps): Promise<Warnings> {
  const o = parseComponentOptions('Warnings', WarningsOptionsSchema, deps.options);
  const logger = deps.logger.child({ component: 'warnings' });
  const now = deps.now ?? Date.now;
  const { rules, alerts, subscriptions, outbox } = deps.store;

  if (o.seedDefaultRules) {
    const n = (await rules.seedOnce(DEFAULT_RULES)) + (await rules.seedEach(CATALOGUE_DEFAULT_RULES));
    if (n) logger.info({ rules: n }, 'default warning rules seeded');
  }
  const subscriptionCache = new SubscriptionCache(subscriptions, logger);
  await subscriptionCache.start(o.reloadMs);
  const publisher = new WebhookPublisher(() => subscriptionCache.current());
  const outbound = new OutboundGuard(o.outbound);
  const dispatcher = createGuardedDispatcher(outbound, { connectTimeoutMs: o.delivery.timeoutMs });
  const worker = new DeliveryWorker(
    { outbox, subscriptions: () => subscriptionCache.current(), nodeId: deps.nodeId ?? 'local', logger: logger.child({ component: 'webhooks' }), metrics: deps.metrics, dispatcher },
    o.delivery,
  );
  const lifecycle = new AlertLifecycle({ alerts, flushes: deps.store.ruleFlush, publisher, points: deps.points, logger, metrics: deps.metrics, station: (id) => deps.stations.get(id), onChange: (alert, event) => {
      worker.kick();
      deps.alertChanged?.({ alert, event });
    },
  });
  const leadership = deps.leadership;
  const engine = await RuleEngine.open(rules, logger, now(), { station: (id) => deps.stations.get(id), crossStationOnLeader: leadership !== undefined });
  // Open alerts are the truth: a state flush lost in a crash must not leave one that never resolves.
  for (const a of await alerts.allOpen()) engine.adoptActive(a.stationId, a.ruleId, a.level);

  // The publish path only queues; rules run in flushes, each committed in one transaction (rule-flusher.ts).
  const flusher = new RuleFlusher({
    engine,
    lifecycle,
    points: deps.points,
    logger,
    counters: { messages: deps.metrics.ruleFlushMessages, commits: deps.metrics.ruleFlushCommits, transitions: deps.metrics.ruleFlushTransitions },
    now,
  });
  const apply = (transitions: readonly RuleTransition[]): void => flusher.transitions(transitions);
  const settled = (): Promise<void> => flusher.settled();
  const onReadings = (e: ReadingsDurable): void => flusher.readings(e);

  let crossRunning = false;
  const staleTimer = setInterval(() => {
    if (!leadership) {
      try {
        apply(engine.checkStale(deps.stations.all(), now()));
      } catch (err) {
        logger.error({ err }, 'stale check failed');
      }
      return;
    }
    if (!leadership.isLeader || crossRunning) return;
    crossRunning = true;
    engine
      .checkCrossStation(deps.stations.all(), now())
      .then(apply, (err: unknown) => logger.error({ err }, 'cross-station check failed'))
      .finally(() => (crossRunning = false));
  }, o.staleCheckIntervalMs);
  // A new leader carries on from the open alerts (the old leader's memory died with it).
  const onLeadership = (isLeader: boolean): void => {
    logger.info({ isLeader }, isLeader ? 'leading the cross-station rules (stale, corroboration)' : 'no longer leading the cross-station rules');
    if (!isLeader) return;
    alerts
      .allOpen()
      .then((open) => {
        for (const a of open) engine.adoptActive(a.stationId, a.ruleId, a.level);
      })
      .catch((err: unknown) => logger.error({ err }, 'open alerts not adopted'));
  };
  leadership?.events.on('change', onLeadership);
  // Won before this listened (the lock is tried as soon as the store opens it).
  if (leadership?.isLeader) onLeadership(true);
  // Cluster: a device now reporting to this node brings its stations' rule states from the store
  // — the platform's 'rule-state handover' consumer (platform.ts) does it, children included.
  const flushTimer = setInterval(() => {
    engine.flush().catch((err: unknown) => logger.error({ err }, 'rule state not saved'));
    outbox
      .depth()
      .then((d) => {
        deps.metrics.webhookOutboxPending.set(d.pending);
        deps.metrics.webhookOutboxDead.set(d.dead);
      })
      .catch((err: unknown) => logger.warn({ err }, 'webhook outbox depth not read'));
  }, o.ruleStateFlushMs);
  // Per node, what of the store is in force here (a cluster's nodes each read it again every reloadMs).
  deps.metrics.storeReadAt.sources.set('rules', () => engine.rulesReadAtMs);
  deps.metrics.storeReadAt.sources.set('subscriptions', () => subscriptionCache.readAtMs);
  const reloadTimer = setInterval(() => {
    engine.reload().catch((err: unknown) => logger.warn({ err }, 'rules not reloaded'));
  }, o.reloadMs);
  reloadTimer.unref();
  worker.start();

  const stationRemoved = async (stationId: string): Promise<void> => {
    try {
      await settled();
      await lifecycle.resolveStation(stationId, '站点已删除', now());
      engine.forgetStation(stationId);
      await engine.flush();
    } catch (err) {
      logger.error({ err, stationId }, 'alerts of a deleted station not resolved');
    }
  };

  const ctx: WarningsContext = { rules, engine, alerts, lifecycle, subscriptions, subscriptionCache, outbox, worker, outbound, publisher, station: (id) => deps.stations.get(id), logger, now };
  return {
    ...ctx,
    consumer: {
      name: 'warnings',
      on: {
        readingsDurable: onReadings,
        stationRemoved: (station) => {
          stationRemoved(station.id).catch(() => undefined);
        },
      },
    },
    stationRemoved,
    settled,
    async stop() {
      leadership?.events.off('change', onLeadership);
      clearInterval(staleTimer);
      clearInterval(flushTimer);
      clearInterval(reloadTimer);
      subscriptionCache.stop();
      await settled();
      await worker.stop();
      await dispatcher.close().catch(() => undefined);
      await engine.flush();
    },
  };
}
