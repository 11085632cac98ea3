/**
 * Warnings in one place: rules evaluated on every durable reading → alert lifecycle → InfluxDB
 * `alerts` (through the spool) and the webhook outbox → delivery worker. `startWarnings` opens
 * its tables in the platform's SQLite file, listens to the platform's events, and returns the
 * HTTP routes and `stop()`. The 'readings' listener is synchronous and never awaits the network.
 */
import type { EventEmitter } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Reading, Station } from '@shanshui/models';
import type { PointSink } from '../spool/retrying-appender.ts';
import { toLineProtocol } from '../store/influx-http.ts';
import { qualityCorrectionPoints } from '../rules/quality-correction-points.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { RuleStore } from '../rules/rule-store.ts';
import { RuleEngine } from '../rules/rule-engine.ts';
import type { RuleTransition } from '../rules/rule-engine.ts';
import { DEFAULT_RULES } from '../rules/default-rules.ts';
import { AlertStore } from './alert-store.ts';
import { AlertLifecycle } from './alert-lifecycle.ts';
import { OutboxStore } from '../webhooks/outbox-store.ts';
import { SubscriptionStore } from '../webhooks/subscription-store.ts';
import { WebhookPublisher } from '../webhooks/webhook-publisher.ts';
import { DeliveryWorker } from '../webhooks/delivery-worker.ts';
import type { DeliveryWorkerOptions } from '../webhooks/delivery-worker.ts';
import { OutboundGuard } from '../webhooks/outbound-guard.ts';
import type { OutboundGuardOptions } from '../webhooks/outbound-guard.ts';
import { createGuardedDispatcher } from '../webhooks/guarded-dispatcher.ts';
import { alertRoutes } from '../api/alert-routes.ts';
import { ruleRoutes } from '../api/rule-routes.ts';
import { subscriptionRoutes } from '../api/subscription-routes.ts';
import { webhookDeliveryRoutes } from '../api/webhook-delivery-routes.ts';

export interface WarningsOptions {
  /** Seed DEFAULT_RULES into a new database. Default true. */
  readonly seedDefaultRules: boolean;
  /** How often stale rules are checked, ms. Default 10000. */
  readonly staleCheckIntervalMs: number;
  /** How often changed rule state is saved, ms (transitions save at once). Default 1000. */
  readonly ruleStateFlushMs: number;
  /** Delivery worker options (timeout, retry budget, backoff). */
  readonly delivery: Partial<DeliveryWorkerOptions>;
  /** Where webhooks may connect: allow-listed networks and the platform's own ports. Default: no private networks, no own ports known. */
  readonly outbound: OutboundGuardOptions;
}

export const WARNINGS_DEFAULTS: WarningsOptions = { seedDefaultRules: true, staleCheckIntervalMs: 10_000, ruleStateFlushMs: 1000, delivery: {}, outbound: { allowNetworks: [], ownPorts: () => [] } };

export interface WarningsDeps {
  /** Emits 'readings' ({station, readings}) once a message is durable. */
  readonly events: EventEmitter;
  /** Alert points and data-quality corrections for InfluxDB (through the spool, never awaited). */
  readonly points: PointSink;
  /** SQLite file (opened here, WAL) or an open database. */
  readonly db: string | DatabaseSync;
  readonly logger: Logger;
  readonly metrics: Pick<PlatformMetrics, 'alertTransitions' | 'webhookDeliveries' | 'webhookOutboxPending' | 'webhookOutboxDead'>;
  readonly stations: { get(id: string): Station | undefined; all(): Station[] };
  readonly options?: Partial<WarningsOptions>;
  readonly now?: () => number;
}

/** What the API routes need. */
export interface WarningsContext {
  readonly rules: RuleStore;
  readonly engine: RuleEngine;
  readonly alerts: AlertStore;
  readonly lifecycle: AlertLifecycle;
  readonly subscriptions: SubscriptionStore;
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
  /** Registers /api/v1/{alerts,rules,subscriptions,webhook-deliveries} and the webhook JSON Schema. */
  routes(app: FastifyInstance): void;
  /** A station was deleted: resolves its open alerts and forgets its rule state. */
  stationRemoved(stationId: string): void;
  stop(): Promise<void>;
}

export function startWarnings(deps: WarningsDeps): Warnings {
  const o: WarningsOptions = { ...WARNINGS_DEFAULTS, ...deps.options };
  const logger = deps.logger.child({ component: 'warnings' });
  const now = deps.now ?? Date.now;
  const ownDb = typeof deps.db === 'string';
  const db = typeof deps.db === 'string' ? new DatabaseSync(deps.db) : deps.db;
  if (ownDb) db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');

  const rules = new RuleStore(db, logger);
  if (o.seedDefaultRules) {
    const n = rules.seedOnce(DEFAULT_RULES);
    if (n) logger.info({ rules: n }, 'default warning rules seeded');
  }
  const alerts = new AlertStore(db);
  const subscriptions = new SubscriptionStore(db);
  const outbox = new OutboxStore(db);
  const publisher = new WebhookPublisher(outbox, subscriptions);
  const outbound = new OutboundGuard(o.outbound);
  const dispatcher = createGuardedDispatcher(outbound, { connectTimeoutMs: o.delivery.timeoutMs ?? 5000 });
  const worker = new DeliveryWorker({ outbox, subscriptions, logger: logger.child({ component: 'webhooks' }), metrics: deps.metrics, dispatcher }, o.delivery);
  const lifecycle = new AlertLifecycle({ db, alerts, publisher, points: deps.points, logger, metrics: deps.metrics, station: (id) => deps.stations.get(id), onChange: () => worker.kick() });
  const engine = new RuleEngine(rules, logger, now(), { station: (id) => deps.stations.get(id) });
  // Open alerts are the truth: a state flush lost in a crash must not leave one that never resolves.
  for (const a of alerts.allOpen()) engine.adoptActive(a.stationId, a.ruleId, a.level);

  const apply = (transitions: readonly RuleTransition[]): void => {
    if (transitions.length === 0) return;
    for (const t of transitions) {
      try {
        lifecycle.apply(t);
      } catch (err) {
        logger.error({ err, stationId: t.station.id, ruleId: t.rule.id }, 'alert change failed');
      }
    }
    // The transitions' own states now; every other change rides the flush timer (not one SQLite transaction per message).
    engine.flushTransitions(transitions);
  };

  const onReadings = (e: { station: Station; readings: readonly Reading[] }): void => {
    try {
      const result = engine.evaluateReadings(e.station, e.readings, now());
      if (result.flagged.length > 0) deps.points.write(toLineProtocol(qualityCorrectionPoints(e.station, result.readings, result.flagged)));
      apply(result.transitions);
    } catch (err) {
      logger.error({ err, stationId: e.station.id }, 'rule evaluation failed');
    }
  };
  deps.events.on('readings', onReadings);

  const staleTimer = setInterval(() => {
    try {
      apply(engine.checkStale(deps.stations.all(), now()));
    } catch (err) {
      logger.error({ err }, 'stale check failed');
    }
  }, o.staleCheckIntervalMs);
  const flushTimer = setInterval(() => {
    try {
      engine.flush();
      const d = outbox.depth();
      deps.metrics.webhookOutboxPending.set(d.pending);
      deps.metrics.webhookOutboxDead.set(d.dead);
    } catch (err) {
      logger.error({ err }, 'rule state not saved');
    }
  }, o.ruleStateFlushMs);
  worker.start();

  const ctx: WarningsContext = { rules, engine, alerts, lifecycle, subscriptions, outbox, worker, outbound, publisher, station: (id) => deps.stations.get(id), logger, now };
  return {
    ...ctx,
    routes(app) {
      alertRoutes(app, ctx);
      ruleRoutes(app, ctx);
      subscriptionRoutes(app, ctx);
      webhookDeliveryRoutes(app, ctx);
    },
    stationRemoved(stationId) {
      try {
        lifecycle.resolveStation(stationId, '站点已删除', now());
        engine.forgetStation(stationId);
        engine.flush();
      } catch (err) {
        logger.error({ err, stationId }, 'alerts of a deleted station not resolved');
      }
    },
    async stop() {
      deps.events.off('readings', onReadings);
      clearInterval(staleTimer);
      clearInterval(flushTimer);
      await worker.stop();
      await dispatcher.close().catch(() => undefined);
      try {
        engine.flush();
      } finally {
        if (ownDb) db.close();
      }
    },
  };
}
