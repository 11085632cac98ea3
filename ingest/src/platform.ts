/**
 * The platform in one process: local or remote InfluxDB → state → spool → broker (aedes) →
 * accept → spool → drain → InfluxDB, plus the HTTP API. `startPlatform` is what main.ts,
 * the demo and the tests run; `stop()` closes everything it opened.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { RedisLockout, RedisRateLimit, connectRedisLink, createBroker, memoryLockout, startListener } from '@shanshui/broker';
import type { RedisLink, RunningListener } from '@shanshui/broker';
import { downTopic, stationInfoPoint, upTopic, urlForLog } from '@shanshui/models';
import type { AgentConfig, ParsedTopic, Station } from '@shanshui/models';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createMetrics } from './metrics.ts';
import { registerAcceptWorkerMetrics } from './metrics/accept-worker-metrics.ts';
import { IngestError } from './errors.ts';
import { openPlatformStore } from './state/open-platform-store.ts';
import type { PlatformStore } from './state/platform-store.ts';
import { PresenceWriter } from './state/presence-writer.ts';
import { toDeadLetterRecord } from './accept/dead-letter-record.ts';
import { DeadLetterDrain } from './accept/dead-letter-drain.ts';
import { StationRegistry } from './state/station-registry.ts';
import { DeviceSecrets, loadSecretKey } from './state/device-secret.ts';
import { onlineStations } from './state/station-presence.ts';
import { SequenceTracker } from './accept/sequence-tracker.ts';
import { DeliveryHandover } from './state/delivery-handover.ts';
import { startNodeHeartbeat } from './state/node-heartbeat.ts';
import { DeadLetterLog } from './accept/dead-letter-log.ts';
import { acceptReadings } from './accept/accept-readings.ts';
import type { AcceptedMessage } from './accept/accept-readings.ts';
import { AcceptWorkerPool } from './accept/accept-worker-pool.ts';
import { acceptWorkerCount } from './accept/accept-worker-count.ts';
import { acceptDeviceMessage } from './accept/accept-device-message.ts';
import { startExternalSubscriber } from './accept/external-subscriber.ts';
import type { ExternalSubscriber } from './accept/external-subscriber.ts';
import { FileSpool } from './spool/file-spool.ts';
import { RetryingAppender } from './spool/retrying-appender.ts';
import { InfluxHttp, toLineProtocol } from './store/influx-http.ts';
import { InfluxDrain } from './store/influx-drain.ts';
import { InfluxWriteTargets } from './store/influx-write-targets.ts';
import { endpointsOf } from './webhooks/outbound-guard.ts';
import { InfluxProbe } from './store/influx-probe.ts';
import { startManagedInfluxd } from './store/managed-influxd.ts';
import type { ManagedInfluxd } from './store/managed-influxd.ts';
import { buildApi, routeGroup } from './api/build-api.ts';
import { profileRoutes } from './api/profile-routes.ts';
import { ProfileCatalogue } from './catalogue/profile-catalogue.ts';
import { listenApi } from './api/listen-api.ts';
import { loadTlsFiles } from './tls-files.ts';
import { routeTableOf } from './api/request-auth.ts';
import { routeDocsOf } from './api/route-doc.ts';
import type { DocumentedRoute } from './api/route-doc.ts';
import { readingRoutes } from './api/reading-routes.ts';
import { statusRoutes } from './api/status-routes.ts';
import { PLATFORM_VERSION } from './version.ts';
import type { RouteEntry } from './api/request-auth.ts';
import { mapRoutes } from './api/map-routes.ts';
import { PROVISIONING_BURST, PROVISIONING_RATE_PER_SEC } from './api/provisioning-routes.ts';
import { commandRoutes } from './api/command-routes.ts';
import { CommandDispatcher } from './commands/command-dispatcher.ts';
import { AppliedConfigRecorder } from './commands/record-applied-config.ts';
import { publishRetainedConfigs } from './commands/publish-retained-configs.ts';
import { LatestValues } from './map/latest-values.ts';
import { startWarnings } from './alerts/start-warnings.ts';
import type { Warnings } from './alerts/start-warnings.ts';
import { alertRoutes } from './api/alert-routes.ts';
import { ruleRoutes } from './api/rule-routes.ts';
import { subscriptionRoutes } from './api/subscription-routes.ts';
import { webhookDeliveryRoutes } from './api/webhook-delivery-routes.ts';
import { createPlatformEvents, subscribeConsumers } from './platform-events.ts';
import type { PlatformConsumer, PlatformEvents, ReadingsDurable } from './platform-events.ts';
import type { DeadLetterInput } from './state/dead-letter-store.ts';
import { ensureWebApp } from '@shanshui/web';
import { liveRoutes } from './api/live-routes.ts';
import { resolveBasemap } from './web/basemap.ts';
import { webAppRoutes } from './web/web-app-routes.ts';

/** What the 'readingsDurable' event carries (the name tests and tools knew it by). */
export type AcceptedReadingsEvent = ReadingsDurable;

export interface Platform {
  readonly config: Config;
  readonly mqttPort: number;
  readonly mqttsPort: number | undefined;
  readonly wsPort: number | undefined;
  /** Plain HTTP: the whole API, or only /healthz and /metrics once TLS is configured (unless `httpPlainApi`). */
  readonly httpPort: number;
  /** The API over HTTPS, when `tlsCert` and `tlsKey` are set. */
  readonly httpsPort: number | undefined;
  readonly apiToken: string;
  /** Every `/api/v1` route with the permission it declares. */
  readonly apiRoutes: readonly RouteEntry[];
  /** Every `/api/v1` route with its documentation (the OpenAPI document's source). */
  readonly apiDocs: readonly DocumentedRoute[];
  readonly influx: InfluxHttp;
  readonly registry: StationRegistry;
  /** Platform state (SQLite or PostgreSQL). */
  readonly store: PlatformStore;
  /** This node's name in a cluster ('local' on a single SQLite node). */
  readonly nodeId: string;
  /** The platform's typed events (platform-events.ts): 'readingsDurable', 'presence', 'alert', 'stationRemoved' … */
  readonly events: PlatformEvents;
  /** The accept worker threads (`acceptWorkers` ≥ 1), or undefined when readings are accepted on the main thread. */
  readonly acceptWorkers: AcceptWorkerPool | undefined;
  stop(): Promise<void>;
}

/** The platform built — every component and route, no listening socket yet (createPlatform). */
export interface BuiltPlatform {
  readonly config: Config;
  readonly events: PlatformEvents;
  readonly store: PlatformStore;
  readonly registry: StationRegistry;
  readonly influx: InfluxHttp;
  readonly warnings: Warnings;
  /** The HTTP API, ready for `inject()`; listened by `listen()`. */
  readonly api: FastifyInstance;
  readonly apiToken: string;
  readonly nodeId: string;
  /** Opens the MQTT listeners (or subscribes to the external broker) and the HTTP(S) API. */
  listen(): Promise<Platform>;
  stop(): Promise<void>;
}

/** This node's id: configured, 'local' on SQLite, else generated once into `{dataDir}/node-id` (a node restarted on its folder is the same node). */
async function nodeIdOf(config: Config, dataDir: string): Promise<string> {
  if (config.nodeId) return config.nodeId;
  if (!config.databaseUrl) return 'local';
  const file = path.join(dataDir, 'node-id');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const id = `node-${randomBytes(6).toString('hex')}`;
    await writeFile(file, `${id}\n`);
    return id;
  }
}

async function adminToken(config: Config, logger: Logger): Promise<string> {
  if (config.apiToken) return config.apiToken;
  const file = path.join(config.dataDir, 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const token = randomBytes(24).toString('base64url');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    logger.info({ file }, 'generated an admin API token (SHANSHUI_API_TOKEN overrides it)');
    return token;
  }
}

/** Builds and listens: what main.ts, the demo and the tests run; `stop()` closes everything it opened. */
export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  const built = await createPlatform(config, logger);
  try {
    return await built.listen();
  } catch (err) {
    await built.stop();
    throw err;
  }
}

/**
 * Builds the platform: storage (InfluxDB, the platform store, the spool and its drain), the
 * broker (no listener), rules, alerts and webhooks, commands, the API — and registers who
 * listens to which platform event, in one list. Opens no listening socket (`listen()` does).
 */
export async function createPlatform(config: Config, logger: Logger): Promise<BuiltPlatform> {
  const startedAt = Date.now();
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    const dataDir = path.resolve(config.dataDir);
    await mkdir(dataDir, { recursive: true });
    // Certificate problems stop the start before anything else runs.
    const tlsFiles = loadTlsFiles(config.tls);
    const basemap = resolveBasemap({
      kind: config.map.basemap,
      tileUrl: config.map.tileUrl,
      attribution: config.map.tileAttribution,
      tiandituKey: config.map.tiandituKey,
      allowHosts: config.map.tileAllowHosts,
    });
    const metrics = createMetrics();
    metrics.spoolMaxBytes.set(config.spool.maxBytes);

    // Storage first: readings need somewhere to go.
    let managed: ManagedInfluxd | undefined;
    const queryUrl = config.influx.url ?? config.influx.urls?.[0];
    if (!queryUrl) {
      managed = await startManagedInfluxd({
        dataDir: path.join(dataDir, 'influxdb'),
        httpPort: config.influx.managedPort,
        niceness: config.influx.managedNice,
        database: config.influx.database,
        installIfMissing: config.influx.install,
        onRestart: () => metrics.influxdRestarts.inc(),
        logger,
      });
      cleanups.push(() => managed?.stop());
    }
    const influxAt = (url: string): InfluxHttp =>
      new InfluxHttp({
        url,
        database: config.influx.database,
        // The managed influxd's platform user (READ+WRITE on the database) unless configured otherwise.
        ...(config.influx.username ? { username: config.influx.username } : managed?.user ? { username: managed.user.username } : {}),
        ...(config.influx.password ? { password: config.influx.password } : managed?.user ? { password: managed.user.password } : {}),
        ...(config.influx.token ? { token: config.influx.token } : {}),
      });
    const influx = influxAt(queryUrl ?? managed!.url);
    // Writes: the cluster's write URLs when configured, else the one InfluxDB.
    const influxWrites = new InfluxWriteTargets(config.influx.urls ? config.influx.urls.map(influxAt) : [influx], logger);
    // Asked, not inferred from the last write: /readyz, /healthz and /api/v1/status.
    const probe = new InfluxProbe(influx);
    cleanups.push(() => probe.stop());
    probe.check().catch(() => undefined);
    await influxWrites.ensureDatabase().catch((err: unknown) => logger.warn({ err }, 'InfluxDB not reachable at start; readings will wait in the spool'));

    const store = await openPlatformStore({
      sqliteFile: path.join(dataDir, 'state.db'),
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      users: { scryptCost: config.scryptCost, ...config.sessions },
      logger,
    });
    cleanups.push(() => store.close());
    // Every node must verify what any node stored: one key for the cluster, not one file per node.
    if (config.redisUrl && config.secretKey === undefined) throw new IngestError('INGEST_ERR_CONFIG', 'SHANSHUI_REDIS_URL (cluster mode) needs SHANSHUI_SECRET_KEY, the same on every node');
    const secrets = new DeviceSecrets(await loadSecretKey(dataDir, config.secretKey), { scryptCost: config.scryptCost });
    const nodeId = await nodeIdOf(config, dataDir);
    // The connections this node held before a restart are gone (other nodes' devices stay online).
    await store.presence.resetNode(nodeId);
    const presenceWrites = new PresenceWriter(store.presence, { onError: (err, changes) => logger.error({ err, changes }, 'presence not saved') });
    cleanups.push(() => presenceWrites.settled());
    const presence = presenceWrites.readView(store.presence);
    const registry = await StationRegistry.open(store.stations, secrets, { beforeRemove: () => presenceWrites.settled() });
    if (store.backend === 'postgres') {
      // Stations registered, changed or deleted through other nodes.
      const syncTimer = setInterval(() => {
        registry.syncChanges().catch((err: unknown) => logger.warn({ err }, 'station changes of other nodes not read'));
      }, config.warnings.reloadMs);
      cleanups.push(() => clearInterval(syncTimer));
    }
    const provisioning = store.provisioning;
    // Cluster: a device's statistics move with it from node to node (and every node shows them all):
    // each node saves what it counted during a device's stay, and reads the stays of the others.
    const clustered = store.backend === 'postgres';
    const sequences = new SequenceTracker(clustered ? undefined : await store.delivery.load());
    let deliveryHandover: DeliveryHandover | undefined;
    if (clustered) {
      // Stays this node left open when it last ran (killed, or stopped before saving them) are complete.
      await store.delivery.endStaysOf(nodeId);
      deliveryHandover = new DeliveryHandover({ tracker: sequences, store: store.delivery, logger, nodeId });
      await deliveryHandover.refresh();
    }
    const handover = deliveryHandover;
    // Sequence bookkeeping is saved in batches, off the publish path.
    const saveStats = (): Promise<void> => (handover ? handover.saveChanged() : store.delivery.save(sequences.takeDirty()));
    const statsTimer = setInterval(() => {
      saveStats().catch((err: unknown) => logger.warn({ err }, 'delivery statistics not saved'));
    }, 5000);
    cleanups.push(async () => {
      clearInterval(statsTimer);
      await saveStats().catch((err: unknown) => logger.warn({ err }, 'delivery statistics not saved'));
    });
    if (handover) {
      const refreshTimer = setInterval(() => void handover.refresh().catch(() => undefined), config.warnings.reloadMs);
      cleanups.push(async () => {
        clearInterval(refreshTimer);
        await handover.close();
      });
    }

    const spool = await FileSpool.open({ dir: path.join(dataDir, 'spool'), maxBytes: config.spool.maxBytes });
    // Dead letters have a spool of their own: a platform store that is down holds back only them, never readings.
    const deadLetterSpool = await FileSpool.open({ dir: path.join(dataDir, 'dead-letter-spool'), maxBytes: Math.max(64 * 1024 ** 2, Math.floor(config.spool.maxBytes / 16)) });
    cleanups.push(() => deadLetterSpool.close());
    cleanups.push(() => spool.close());
    if (spool.corruptRecords > 0) logger.warn({ corrupt: spool.corruptRecords }, 'spool: cut off a torn tail left by a crash (never acknowledged)');

    // Side writes (station_info, alert points, quality corrections): a full spool queues them for later instead of dropping them.
    const sideWrites = new RetryingAppender(spool, logger.child({ component: 'side-writes' }));
    cleanups.push(() => sideWrites.close());

    // Station metadata goes through the spool like readings, so an InfluxDB outage loses none of it.
    const writeStationInfo = (stations: readonly Station[], active: boolean): void => {
      if (stations.length === 0) return;
      const now = Date.now();
      sideWrites.write(toLineProtocol(stations.map((s) => stationInfoPoint(s, active, now))));
    };
    // One node: every station's metadata at start. A cluster: once per leadership (below), not by every node at every start.
    if (store.backend !== 'postgres') writeStationInfo(registry.all(), true);
    const events = createPlatformEvents();
    // The registry's changes become platform events (one hook; consumers below).
    registry.onChange = (station, active) => (active ? events.emit('stationChanged', station) : events.emit('stationRemoved', station));

    const deadLetterLog = new DeadLetterLog(logger.child({ component: 'dead-letters' }));
    // Dead letters of refused points reach the store from the drain; those of refused messages from their own spool (below).
    const drain = new InfluxDrain(spool, influxWrites, { logger, metrics, deadLetters: (letters) => store.deadLetters.insertMany(letters) }, { lanes: config.influx.writeLanes });
    drain.start();
    cleanups.push(() => drain.stop());
    const deadLetterDrain = new DeadLetterDrain(deadLetterSpool, (letters) => store.deadLetters.insertMany(letters), logger);
    deadLetterDrain.start();
    cleanups.push(() => deadLetterDrain.stop());

    const profiles = await ProfileCatalogue.load(store.profiles);
    if (store.backend === 'postgres') {
      // Profiles put through other nodes: announced at once through Redis (below), and read again
      // on this timer in case an announcement was missed.
      const reloadProfiles = (): void => {
        profiles.reload().catch((err: unknown) => logger.warn({ err }, 'station profiles of other nodes not read'));
      };
      const profileTimer = setInterval(reloadProfiles, config.warnings.reloadMs);
      cleanups.push(() => clearInterval(profileTimer));
    }
    const acceptCtx = {
      station: (id: string) => registry.get(id),
      metricsFor: (station: Station) => profiles.metricsFor(station),
      nowMs: () => Date.now(),
      maxFutureSkewMs: config.accept.maxFutureSkewMs,
      maxAgeMs: config.accept.maxAgeMs,
    };
    // Decode, validate and format on worker threads (per-station order and durable PUBACK kept: accept-worker-pool.ts), or here.
    const workerCount = acceptWorkerCount(config.accept.workers);
    const acceptPool = workerCount > 0 ? new AcceptWorkerPool({ ...acceptCtx, size: workerCount, logger: logger.child({ component: 'accept-workers' }) }) : undefined;
    if (acceptPool) cleanups.push(() => acceptPool.close());
    registerAcceptWorkerMetrics(metrics.registry, acceptPool);

    // A full spool refuses the publish (no PUBACK, the device keeps the reading): count it with the broker's refusals.
    // One promise, straight on the spool's completion callback (no async wrapper per message).
    const countRefusal = (err: Error): void => {
      if (err instanceof IngestError && err.code === 'INGEST_ERR_SPOOL_FULL') metrics.publishRefused.inc({ code: err.code });
    };
    const appendDurably = (lines: string): Promise<void> =>
      new Promise((resolve, reject) =>
        spool.appendWith(lines, (err) => {
          if (!err) return resolve();
          countRefusal(err);
          reject(err);
        }),
      );

    // Readings and dead letters of one message, each to its spool, side by side; the PUBACK waits for both.
    // The common message (no dead letter) is the readings' one append, no further promise.
    const appendAll = (lines: string | undefined, deadLetters: readonly DeadLetterInput[]): Promise<void> => {
      if (deadLetters.length === 0) return lines ? appendDurably(lines) : Promise.resolve();
      return appendWithLetters(lines, deadLetters);
    };
    const appendWithLetters = async (lines: string | undefined, deadLetters: readonly DeadLetterInput[]): Promise<void> => {
      const letters = deadLetters.map((d) => toDeadLetterRecord(d));
      const appendLetter = async (record: string): Promise<void> => {
        try {
          await deadLetterSpool.append(record);
        } catch (err) {
          if (err instanceof IngestError && err.code === 'INGEST_ERR_SPOOL_FULL') metrics.publishRefused.inc({ code: err.code });
          throw err;
        }
      };
      await Promise.all([...(lines ? [appendDurably(lines)] : []), ...letters.map(appendLetter)]);
      for (const d of deadLetters) {
        metrics.deadLetters.inc({ code: d.code });
        deadLetterLog.note(d);
      }
    };

    // What follows a readings message's durable append: its place in the sequence, the counters, and the rules and map.
    const afterReadingsDurable = (deviceId: string, started: number, result: AcceptedMessage): void => {
      if (result.seq !== undefined) metrics.sequence.inc({ verdict: sequences.observe(deviceId, result.seq, undefined, result.rejected) });
      metrics.messagesAccepted.inc({ kind: 'readings' });
      metrics.readingsAccepted.inc(result.readings.length);
      if (result.implausible) metrics.readingsImplausible.inc(result.implausible);
      metrics.acceptLatency.observe((performance.now() - started) / 1000);
      if (result.station && result.readings.length > 0) {
        events.emit('readingsDurable', { station: result.station, seq: result.seq ?? 0, readings: result.readings });
      }
    };

    // Durable first: if the spool refuses, nothing else happens and the device resends.
    const storeReadings = async (deviceId: string, started: number, result: AcceptedMessage): Promise<void> => {
      await appendAll(result.lines, result.deadLetters);
      afterReadingsDurable(deviceId, started, result);
    };

    // The durable hand-off shared by the embedded broker and the external-broker subscriber.
    // `deviceId` is the topic's station (the broker checked the publisher may speak for it):
    // sequences, dead letters and tags are per station, whoever carried the message.
    const acceptPublish = async (deviceId: string, topic: ParsedTopic, payload: Buffer): Promise<void> => {
      const started = performance.now();
      const topicName = `shanshui/v1/${deviceId}/up/${topic.kind}`;
      if (topic.kind === 'readings') {
        const result = acceptPool ? await acceptPool.accept(deviceId, topicName, payload) : acceptReadings(acceptCtx, deviceId, topicName, payload);
        await storeReadings(deviceId, started, result);
        return;
      }
      const station = registry.get(deviceId);
      if (!station) return;
      const result = acceptDeviceMessage(station, topic.kind as 'status' | 'events', topicName, payload, Date.now());
      await appendAll(result.lines, result.deadLetter ? [result.deadLetter] : []);
      metrics.messagesAccepted.inc({ kind: topic.kind });
      events.emit(topic.kind === 'status' ? 'status' : 'events', { station, fields: result.fields });
    };

    // storeReadings by callback: the common message straight to the spool; one with dead letters through storeReadings.
    const storeReadingsWith = (deviceId: string, started: number, result: AcceptedMessage, done: (err: Error | null) => void, refuse: (err: unknown) => void): void => {
      const { lines } = result;
      if (!lines || result.deadLetters.length > 0) {
        storeReadings(deviceId, started, result).then(() => done(null), refuse);
        return;
      }
      try {
        spool.appendWith(lines, (err) => {
          if (err) {
            countRefusal(err);
            return done(err);
          }
          try {
            afterReadingsDurable(deviceId, started, result);
          } catch (thrown) {
            return refuse(thrown);
          }
          done(null);
        });
      } catch (err) {
        refuse(err);
      }
    };

    // The same hand-off by callback, for the embedded broker's devices: the common message — readings decoded here or
    // on an accept worker, no dead letter — goes from the spool's completion to its PUBACK with no promise on the way
    // (a promise, an async frame and their closures: about 0.8 KB of garbage a message, measured). Anything else takes
    // acceptPublish.
    const acceptPublishWith = (deviceId: string, topic: ParsedTopic, payload: Buffer, done: (err: Error | null) => void): void => {
      // As acceptPublish: whatever throws refuses the publish (no PUBACK; the device resends).
      const refuse = (err: unknown): void => done(err instanceof Error ? err : new Error(String(err)));
      if (topic.kind !== 'readings') {
        acceptPublish(deviceId, topic, payload).then(() => done(null), refuse);
        return;
      }
      const started = performance.now();
      const topicName = upTopic(deviceId, 'readings');
      if (acceptPool) {
        acceptPool.acceptWith(deviceId, topicName, payload, (err, result) => (err ? refuse(err) : storeReadingsWith(deviceId, started, result!, done, refuse)));
        return;
      }
      // acceptReadings never throws: a failure of ours on a message is its dead letter.
      storeReadingsWith(deviceId, started, acceptReadings(acceptCtx, deviceId, topicName, payload), done, refuse);
    };

    // Cluster mode: sessions, fan-out, takeovers, wills, lockouts and rate buckets shared with every node on this Redis.
    let link: RedisLink | undefined;
    if (config.redisUrl) {
      link = await connectRedisLink(config.redisUrl, logger);
      cleanups.push(() => link?.close());
    }
    const apiLockoutOptions = { maxFailures: config.broker.authMaxFailures, windowMs: config.broker.authFailureWindowMs, lockoutMs: config.broker.authLockoutMs, delayMs: config.broker.authFailureDelayMs };
    const apiLockout = link ? new RedisLockout(link.redis, 'shanshui:api-lockout', apiLockoutOptions) : memoryLockout(apiLockoutOptions);
    const broker = await createBroker(
      {
        authenticate: (id, secret) => registry.authenticate(id, secret),
        // X.509: a registered station with a session of its own (a child publishes through its gateway).
        knownDevice: (id) => {
          const station = registry.get(id);
          return station !== undefined && station.gatewayId === undefined;
        },
        mayPublishFor: (deviceId, stationId) => registry.mayPublishFor(deviceId, stationId),
        acceptPublish,
        acceptPublishWith: (deviceId, topic, payload, _qos, done) => acceptPublishWith(deviceId, topic, payload, done),
        subscribed(deviceId, filters) {
          events.emit('subscribed', { deviceId, filters });
        },
        presence(e) {
          metrics.connectedDevices.set(broker.connectedCount());
          // Written behind, in order per device; a deleted station's disconnect (which follows its deletion) leaves no row.
          const at = Date.now();
          if (registry.get(e.deviceId)) presenceWrites.write({ deviceId: e.deviceId, online: e.online, remoteAddress: e.remoteAddress, nodeId, atMs: at });
          events.emit('presence', e);
        },
        refused(_deviceId, error) {
          metrics.publishRefused.inc({ code: error.code });
        },
        authFailed(e) {
          metrics.authFailures.inc({ kind: 'mqtt' });
          if (e.lockedOut.length > 0) metrics.authLockouts.inc({ kind: 'mqtt' }, e.lockedOut.length);
        },
      },
      config.broker,
      logger,
      link,
    );
    cleanups.push(() => broker.close());
    // A deleted station, a rotated secret, a station made a child: its open session ends now.
    registry.onSessionRevoked = (id) => void broker.disconnect(id);
    // Rules → alerts → webhooks, fed by every durable reading (events 'readings', 'presence').
    // Webhooks never reach the platform's own ports (filled in once the listeners are up).
    const ownPorts: number[] = [];
    // Several nodes on one PostgreSQL: one of them (advisory lock) decides the cross-station rules.
    const crossStationLeadership = store.backend === 'postgres' ? store.leadership('cross-station-rules', { retryMs: config.leaderRetryMs }) : undefined;
    if (crossStationLeadership) {
      // The node that wins the leadership writes every station's metadata once (the others write only the changes they make).
      const writeAllOnLead = (leads: boolean): void => {
        if (leads) writeStationInfo(registry.all(), true);
      };
      crossStationLeadership.events.on('change', writeAllOnLead);
      writeAllOnLead(crossStationLeadership.isLeader);
      // Nodes say they are alive; the same leader marks the devices of a dead node offline.
      const heartbeat = await startNodeHeartbeat({
        presence,
        nodeId,
        heartbeatMs: config.nodeHeartbeatMs,
        deadAfterMs: config.nodeDeadAfterMs,
        isLeader: () => crossStationLeadership.isLeader,
        logger,
      });
      cleanups.push(() => heartbeat.stop());
    }
    const ownEndpoints: Array<{ address: string; port: number }> = [];
    const warnings = await startWarnings({
      alertChanged: (e) => events.emit('alert', e),
      points: sideWrites,
      store,
      nodeId,
      ...(crossStationLeadership ? { leadership: crossStationLeadership } : {}),
      logger,
      metrics,
      stations: registry,
      options: { ...config.warnings, outbound: { ...config.outbound, ownPorts: () => ownPorts, ownEndpoints: () => ownEndpoints } },
    });
    cleanups.push(() => warnings.stop());

    // Spool spill-over into metrics at scrape time.
    const updateSpoolGauges = (): void => {
      const d = spool.depth();
      metrics.spoolRecords.set(d.records);
      metrics.spoolBytes.set(d.bytes);
    };
    const gaugeTimer = setInterval(updateSpoolGauges, 1000);
    cleanups.push(() => clearInterval(gaugeTimer));

    // Agent configs are retained messages: published again at start where the broker lacks them
    // (one node: aedes keeps them in memory) — not where a cluster's Redis holds them already.
    const publishConfig = (stationId: string, agentConfig: AgentConfig): Promise<void> =>
      broker.publishToDevice(downTopic(stationId, 'config'), Buffer.from(JSON.stringify(agentConfig)), { qos: 1, retain: true });
    const retainedConfigs = await publishRetainedConfigs({
      configs: await provisioning.allConfigs(),
      retained: (stationId) => broker.retained(downTopic(stationId, 'config')),
      publish: publishConfig,
    });
    if (retainedConfigs.kept > 0) logger.info(retainedConfigs, 'agent configs: retained ones found in place, the rest published');

    // Remote control: commands reach a device once it listens on its down/command, now or when it returns.
    const commands = store.commands;
    const listening = new Set<string>();
    const dispatcher = new CommandDispatcher({
      store: commands,
      publish: (topic, payload) => broker.publishToDevice(topic, payload, { qos: 1 }),
      // Cluster: the device may listen on another node; the broker's Redis fan-out reaches it there.
      isOnline: async (id) => listening.has(id) || (link !== undefined && (await presence.get(id))?.online === true),
      logger,
    });
    // Commands are checked against the config the agent says it runs.
    const appliedConfigs = new AppliedConfigRecorder(provisioning);
    const commandsConsumer: PlatformConsumer = {
      name: 'commands',
      on: {
        subscribed(e) {
          const commandTopic = downTopic(e.deviceId, 'command');
          if (!e.filters.some((f) => f === commandTopic || f.endsWith('/down/#') || f.endsWith('/down/+'))) return;
          listening.add(e.deviceId);
          dispatcher.onOnline(e.deviceId).catch((err: unknown) => logger.warn({ err, deviceId: e.deviceId }, 'queued commands not sent'));
        },
        presence(e) {
          if (!e.online) listening.delete(e.deviceId);
        },
        events(e) {
          dispatcher.onEvent(e.station.id, e.fields).catch((err: unknown) => logger.error({ err, stationId: e.station.id }, 'command result not recorded'));
          appliedConfigs.onMessage(e.station.id, 'events', e.fields).catch((err: unknown) => logger.error({ err, stationId: e.station.id }, 'applied agent config not recorded'));
        },
        status(e) {
          appliedConfigs.onMessage(e.station.id, 'status', e.fields).catch((err: unknown) => logger.error({ err, stationId: e.station.id }, 'applied agent config not recorded'));
        },
        // A deleted station's open commands end (its id may be registered again).
        stationRemoved(station) {
          appliedConfigs.forget(station.id);
          commands.cancelOpen(station.id).catch((err: unknown) => logger.error({ err, stationId: station.id }, 'open commands of a deleted station not cancelled'));
        },
      },
    };
    // A device that connects here may have reported through another node until now: its
    // stations' rule state (durations, windows, baselines) carries on from the store; and what
    // this node changed is saved at once when it leaves, for the next node. (One node: nothing to do.)
    const ruleStateConsumer: PlatformConsumer = {
      name: 'rule-state handover',
      on:
        store.backend === 'postgres'
          ? {
              presence(e) {
                if (!e.online) {
                  warnings.engine.flush().catch((err: unknown) => logger.warn({ err }, 'rule state not saved'));
                  return;
                }
                for (const id of [e.deviceId, ...registry.childrenOf(e.deviceId).map((c) => c.id)]) {
                  warnings.engine.takeOverStation(id).catch((err: unknown) => logger.warn({ err, stationId: id }, 'rule state not taken over'));
                }
              },
            }
          : {},
    };
    const deliveryHandoverConsumer: PlatformConsumer = {
      name: 'delivery handover',
      on: deliveryHandover
        ? {
            presence(e) {
              const ids = [e.deviceId, ...registry.childrenOf(e.deviceId).map((c) => c.id)];
              if (e.online) deliveryHandover.arrived(ids);
              else deliveryHandover.left(ids);
            },
          }
        : {},
    };
    const expiryTimer = setInterval(() => {
      dispatcher.expire().catch((err: unknown) => logger.warn({ err }, 'command expiry failed'));
    }, 1000);
    cleanups.push(() => clearInterval(expiryTimer));

    // The map feed's latest values: seeded from InfluxDB, then kept current by every durable reading.
    const latest = new LatestValues();
    await latest.loadFrom(influx, logger, (id) => registry.get(id)?.department);
    const latestConsumer: PlatformConsumer = {
      name: 'latest values',
      on: {
        readingsDurable: (e) => latest.update(e.station.id, e.readings),
        stationRemoved: (station) => latest.remove(station.id),
      },
    };
    // Station metadata through the spool, like readings: an InfluxDB outage loses none of it.
    const stationInfoConsumer: PlatformConsumer = {
      name: 'station_info',
      on: {
        stationChanged: (station) => writeStationInfo([station], true),
        stationRemoved: (station) => writeStationInfo([station], false),
      },
    };
    // Cluster: a station added, changed or removed through any node is re-read by every node
    // (registry cache: the publish path, the API, the leader's cross-station rules).
    if (link) {
      const fromPeer = new Set<string>();
      const localHook = registry.onChange;
      registry.onChange = (station, active) => {
        // A peer's change: its node did the side effects (station_info, alerts, commands); here only the cache moves.
        if (fromPeer.has(station.id)) return;
        localHook?.(station, active);
        broker.notify('station', station.id);
      };
      profiles.onPut = (id) => broker.notify('profile', id);
      broker.onNotice('profile', () => {
        profiles.reload().catch((err: unknown) => logger.warn({ err }, 'station profiles of other nodes not read'));
      });
      // A secret rotated (or a station deleted) here: every node forgets its cached credentials before the session ends.
      const revokeHere = registry.onSessionRevoked;
      registry.onSessionRevoked = (id) => {
        broker.notify('credentials', id);
        revokeHere?.(id);
      };
      broker.onNotice('credentials', (id) => registry.forgetCredentials(id));
      broker.onNotice('station', (id) => {
        fromPeer.add(id);
        registry
          .refresh(id)
          .catch((err: unknown) => logger.warn({ err, stationId: id }, 'station not re-read'))
          .finally(() => fromPeer.delete(id));
      });
    }

    // Who listens to what.
    const unsubscribe = subscribeConsumers(events, [stationInfoConsumer, warnings.consumer, latestConsumer, commandsConsumer, ruleStateConsumer, deliveryHandoverConsumer], logger);
    cleanups.push(unsubscribe);

    // Known once listening.
    let mqttPort = 0;
    let mqttsPort: number | undefined;
    let wsPort: number | undefined;
    const apiToken = await adminToken(config, logger);
    // The 一张图 web app: built from its sources when they changed since the last build (esbuild, a second or two).
    const webApp = await ensureWebApp();
    if (webApp.built) logger.info({ dir: webApp.dir }, 'web app built');
    const users = store.users;
    const sweepSessions = setInterval(() => {
      users.sweep().catch((err: unknown) => logger.error({ err }, 'expired sessions not swept'));
    }, 600_000);
    cleanups.push(() => clearInterval(sweepSessions));
    const api = buildApi({
      logger,
      store,
      presence,
      registry,
      sequences,
      metrics,
      apiToken,
      tokens: store.tokens,
      users,
      audit: store.audit,
      authLockout: apiLockout,
      liftMqttLockout: (target) => broker.liftLockout(target),
      ...(link ? { provisioningLimit: new RedisRateLimit(link.redis, 'shanshui:provisioning-rate', PROVISIONING_RATE_PER_SEC, PROVISIONING_BURST) } : {}),
      profiles,
      routes: [
        routeGroup(webAppRoutes, { distDir: webApp.dir, basemap, offlineAfterMs: config.map.offlineAfterMs }),
        routeGroup(liveRoutes, { events, station: (id) => registry.get(id), users }),
        routeGroup(alertRoutes, { alerts: warnings.alerts, lifecycle: warnings.lifecycle, now: warnings.now }),
        routeGroup(ruleRoutes, { rules: warnings.rules, engine: warnings.engine, lifecycle: warnings.lifecycle, logger: warnings.logger, now: warnings.now }),
        routeGroup(subscriptionRoutes, warnings),
        routeGroup(webhookDeliveryRoutes, { subscriptions: warnings.subscriptions, outbox: warnings.outbox, worker: warnings.worker, logger: warnings.logger, now: warnings.now }),
        routeGroup(profileRoutes, { profiles }),
        routeGroup(mapRoutes, { stations: () => registry.all(), openAlerts: () => warnings.alerts.allOpen(), latest, specOf: (s: Station, f: string) => profiles.specOf(s, f) }),
        routeGroup(commandRoutes, { registry, provisioning, commands, dispatcher }),
        routeGroup(readingRoutes, { station: (id) => registry.get(id), listStations: (filter) => store.stations.list(filter), latest, influx, specOf: (s: Station, f: string) => profiles.specOf(s, f) }),
        routeGroup(statusRoutes, {
          version: PLATFORM_VERSION,
          startedAt,
          stations: () => registry.all(),
          online: (stations) => onlineStations({ presence, sequences }, stations),
          connectedDevices: () => broker.connectedCount(),
          spool: () => spool.depth(),
          spoolMaxBytes: config.spool.maxBytes,
          influxUp: () => probe.up,
          influxd: () => managed?.status(),
          outbox: () => warnings.outbox.depth(),
          openAlerts: () => warnings.alerts.allOpen(),
          deadLetters: (departments) => store.deadLetters.count(departments),
        }),
      ],
      provisioning,
      externalBroker: config.externalBroker.url !== undefined,
      publishConfig,
      influx,
      trustProxy: config.listeners.trustProxy,
      async health() {
        updateSpoolGauges();
        const d = spool.depth();
        const influxUp = await probe.check();
        const ok = influxUp && d.bytes < config.spool.maxBytes * 0.9;
        return {
          ok,
          influx: influxUp ? 'up' : 'down',
          ...(managed ? { influxd: managed.status() } : {}),
          spool: { ...d, maxBytes: config.spool.maxBytes },
          connectedDevices: broker.connectedCount(),
          stations: registry.size,
        };
      },
      // With an external broker, devices connect there (the platform has no listener of its own).
      mqttEndpoints: () => ({
        tcp: config.externalBroker.url ?? config.listeners.publicMqttUrl ?? `mqtt://HOST:${mqttPort}`,
        ...(mqttsPort ? { tls: `mqtts://HOST:${mqttsPort}` } : {}),
        ...(wsPort ? { ws: `ws://HOST:${wsPort}/mqtt` } : {}),
      }),
    });
    cleanups.push(() => api.close());
    // Stopping (cleanups run last-pushed first): the cross-station leadership is given up right
    // after the listeners close, not when the store closes at the very end — another node leads
    // within its retry interval, and a node on its way out never wins the lock (in a whole-cluster
    // stop it would take it from a node already gone, then write every station's metadata while
    // it stops).
    if (crossStationLeadership) cleanups.push(() => crossStationLeadership.close());
    const listen = async (): Promise<Platform> => {
      const listeners: RunningListener[] = [];
      cleanups.push(async () => {
        for (const l of listeners) await l.close();
      });
      let external: ExternalSubscriber | undefined;
      if (config.externalBroker.url) {
        // Scale-out mode: devices talk to the external broker; we are its durable subscriber.
        external = await startExternalSubscriber({
          url: config.externalBroker.url,
          clientId: config.externalBroker.clientId,
          ...(config.externalBroker.username ? { username: config.externalBroker.username } : {}),
          ...(config.externalBroker.password ? { password: config.externalBroker.password } : {}),
          subscription: config.externalBroker.subscription,
          accept: acceptPublish,
          logger,
        });
        cleanups.push(() => external?.close());
      } else {
        listeners.push(await startListener(broker, { kind: 'tcp', host: config.listeners.host, port: config.listeners.mqttPort, proxyProtocol: config.listeners.mqttProxyProtocol }));
      }
      if (tlsFiles && !external) {
        const tls = await startListener(broker, { kind: 'tls', host: config.listeners.host, port: config.listeners.mqttsPort, ...tlsFiles });
        listeners.push(tls);
        mqttsPort = tls.port;
      }
      if (config.listeners.wsPort !== undefined && !external) {
        const ws = await startListener(broker, { kind: 'ws', host: config.listeners.host, port: config.listeners.wsPort });
        listeners.push(ws);
        wsPort = ws.port;
      }
      mqttPort = external ? 0 : listeners[0]!.port;

      // HTTPS with the same certificate as MQTT over TLS: one server identity for the platform host.
      const apiListeners = await listenApi(api, {
        host: config.listeners.host,
        httpPort: config.listeners.httpPort,
        ...(tlsFiles ? { tls: { port: config.listeners.httpsPort, cert: tlsFiles.cert, key: tlsFiles.key, ...(tlsFiles.ciphers ? { ciphers: tlsFiles.ciphers } : {}) } } : {}),
        plainApi: config.listeners.plainApi,
        logger,
      });
      cleanups.push(() => apiListeners.close());
      const { httpPort, httpsPort } = apiListeners;
      // Every InfluxDB the platform speaks to: the one it queries and each write node (SHANSHUI_INFLUX_URLS).
      const influxUrls = [...new Set([influx.connection.url, ...(config.influx.urls ?? [])])];
      const influxPorts = influxUrls.map((u) => Number(new URL(u).port) || undefined);
      for (const p of [mqttPort, mqttsPort, wsPort, httpPort, httpsPort, ...influxPorts]) if (p && !ownPorts.includes(p)) ownPorts.push(p);
      // Wherever they run (compose: other containers on a private network an operator may allow-list).
      for (const u of influxUrls) ownEndpoints.push(...(await endpointsOf(u)));
      // cleanups run in reverse: API, listeners, broker (no new input), then drain, spool, state, influxd.
      logger.info({ mqttPort, mqttsPort, wsPort, httpPort, httpsPort, influx: urlForLog(influx.connection.url), stations: registry.size }, 'Shanshui platform started');
      return { config, mqttPort, mqttsPort, wsPort, httpPort, httpsPort, apiToken, apiRoutes: routeTableOf(api), apiDocs: routeDocsOf(api), influx, registry, store, nodeId, events, acceptWorkers: acceptPool, stop };
    };
    return { config, events, store, registry, influx, warnings, api, apiToken, nodeId, listen, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
