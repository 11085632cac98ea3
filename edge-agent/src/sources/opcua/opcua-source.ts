/**
 * OPC-UA source: one client session to a PLC/SCADA server, one subscription, a monitored item
 * per configured node, each data change → a `SourceReading`. This file is the session's life;
 * its parts live beside it:
 * - `monitored-items.ts` — the monitored items, batched by sampling interval and deadband;
 * - `data-change-readings.ts` — data changes → readings (scale, offset, quality, timestamps);
 * - `subscription-watchdog.ts` — when a silent subscription must be built again;
 * - `opcua-commands.ts` — `executeCommand`: Write / Call services, never throws.
 * In order:
 * 1. `start()` prepares the agent PKI (own certificate, owner-only) and starts connecting in the
 *    background: endpointMustExist false, infinite retries with backoff 1 s … 10 s, so a server
 *    that is down (or not yet up after a power cut) never fails the agent.
 * 2. Session (anonymous) → subscription (publishing interval from the config, keep-alive count
 *    chosen so several keep-alives fit in `watchdogMs`) → monitored items.
 * 3. Changes of one event-loop turn go to `onReadings` together, merged per timestamp.
 * 4. Server restart / network loss: node-opcua's client reconnects, reactivates or recreates
 *    the session and recreates the subscription and its items (verified in the tests).
 * 5. Watchdog: a subscription that stopped delivering is terminated and built again; if the
 *    session refuses, the session too. Counted in `subscriptionRebuilds`.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import type { Logger } from 'pino';
import * as z from 'zod';
import { SourceConfigSchema } from '@shanshui/models/edge';
import type { SourceConfig } from '@shanshui/models/edge';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy } from 'node-opcua';
import type { ClientSession, ClientSubscription, DataValue, StatusCode } from 'node-opcua';
import type { SourceReading } from '../source-reading.ts';
import { prepareAgentPki } from './agent-pki.ts';
import type { AgentPki } from './agent-pki.ts';
import { DataChangeReadings } from './data-change-readings.ts';
import { OpcuaError } from './errors.ts';
import { MONITORED_ITEMS_DEFAULTS, monitorItems } from './monitored-items.ts';
import { runOpcuaCommand } from './opcua-commands.ts';
import type { OpcuaCommandResult } from './opcua-commands.ts';
import { KEEP_ALIVES_PER_WATCHDOG, SUBSCRIPTION_LIFETIME_MS, subscriptionCounts, SubscriptionWatchdog } from './subscription-watchdog.ts';

export type OpcuaSourceConfig = Extract<SourceConfig, { kind: 'opcua' }>;

export interface OpcuaSourceOptions {
  /** The `opcua` entry of the agent configuration's `sources`. Required. */
  config: OpcuaSourceConfig;
  /** Station identity put in `SourceReading.source`. Required. */
  stationId: string;
  /** Folder for the agent's PKI (certificate + key, created if missing, owner-only perms). Required. */
  pkiDir: string;
  /** pino logger; a child `{ component: 'opcua-source' }` is used. Default silent. */
  logger?: Logger;
  /** Receives the readings of each batch of data changes. Required; exceptions are logged. */
  onReadings: (readings: SourceReading[]) => void;
}

export interface OpcuaSourceStats {
  state: 'connecting' | 'connected' | 'disconnected';
  /** Data change notifications received (one per item value). */
  notifications: number;
  /** Connections re-established after a loss (node-opcua's repair, or a session built again). */
  reconnects: number;
  /** Subscriptions terminated and built again by the watchdog or after the server dropped them. */
  subscriptionRebuilds: number;
  lastNotificationAt?: string;
  /** Values that arrived with a quality other than `ok`. */
  badQuality: number;
}

/** Fixed behaviour of the source; the tunables live in the agent config. */
export const OPCUA_SOURCE_DEFAULTS = {
  /** First reconnect delay, ms (node-opcua doubles it per failed attempt). */
  initialDelayMs: 1000,
  /** Longest reconnect delay, ms. */
  maxDelayMs: 10_000,
  /** Server-side queue per monitored item; the oldest value goes when it overflows. */
  queueSize: MONITORED_ITEMS_DEFAULTS.queueSize,
  /** Monitored items per CreateMonitoredItems request (servers limit MaxMonitoredItemsPerCall). */
  itemsPerCall: MONITORED_ITEMS_DEFAULTS.itemsPerCall,
  /** Keep-alives the server should send within one watchdog period. */
  keepAlivesPerWatchdog: KEEP_ALIVES_PER_WATCHDOG,
  /** A subscription survives this long on the server without publish requests (a network blip), ms. */
  subscriptionLifetimeMs: SUBSCRIPTION_LIFETIME_MS,
  /** Longest wait for a subscription or session to close before moving on, ms. */
  closeTimeoutMs: 3000,
  /** Session timeout requested from the server, ms. */
  sessionTimeoutMs: 60_000,
  /** start() resolves at the latest after this, connected or not, ms. */
  startWaitMs: 10_000,
};
const D = OPCUA_SOURCE_DEFAULTS;

const OptionsSchema = z.object({
  config: z.unknown().transform((value, ctx) => {
    const parsed = SourceConfigSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    if (parsed.data.kind !== 'opcua') {
      ctx.addIssue({ code: 'custom', message: `kind must be opcua, got ${parsed.data.kind}` });
      return z.NEVER;
    }
    const config = parsed.data;
    if ((config.securityMode === 'None') !== (config.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: `securityMode ${config.securityMode} needs ${config.securityMode === 'None' ? 'securityPolicy None' : 'a securityPolicy other than None'}`,
      });
      return z.NEVER;
    }
    return config;
  }),
  stationId: z.string().min(1),
  pkiDir: z.string().min(1),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function', 'must be a pino logger').optional(),
  onReadings: z.custom<(readings: SourceReading[]) => void>((v) => typeof v === 'function', 'must be a function'),
});

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

export class OpcuaSource {
  readonly #config: OpcuaSourceConfig;
  readonly #stationId: string;
  readonly #pkiDir: string;
  readonly #log: Logger;
  readonly #onReadings: (readings: SourceReading[]) => void;

  #pki: AgentPki | undefined;
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #subscription: ClientSubscription | undefined;
  #running = false;
  #starting: Promise<void> | undefined;
  /** Aborted by stop(): ends the connect loop's waits. */
  #abort = new AbortController();
  /** Increases with every stop(), so a start() still preparing its PKI knows it was cancelled. */
  #generation = 0;
  #connectLoop: Promise<void> | undefined;
  #firstAttempt: Deferred | undefined;
  #rebuilding: Promise<void> | undefined;
  /** The first connect loop has produced a session (from then on, repair is node-opcua's or the watchdog's). */
  #established = false;
  readonly #watchdog: SubscriptionWatchdog;
  #watchdogTimer: NodeJS.Timeout | undefined;
  readonly #changes: DataChangeReadings;
  #flushScheduled = false;

  #state: OpcuaSourceStats['state'] = 'disconnected';
  #notifications = 0;
  #reconnects = 0;
  #subscriptionRebuilds = 0;
  #lastNotificationAt: string | undefined;
  #badQuality = 0;

  constructor(options: OpcuaSourceOptions) {
    const parsed = OptionsSchema.safeParse(options);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
      throw new OpcuaError('EDGE_ERR_OPCUA_OPTIONS_INVALID', detail);
    }
    this.#config = parsed.data.config;
    this.#stationId = parsed.data.stationId;
    this.#pkiDir = parsed.data.pkiDir;
    this.#onReadings = parsed.data.onReadings;
    this.#log = (parsed.data.logger ?? pino({ level: 'silent' })).child({ component: 'opcua-source', endpointUrl: this.#config.endpointUrl });
    this.#watchdog = new SubscriptionWatchdog(this.#config.watchdogMs, Date.now());
    this.#changes = new DataChangeReadings(this.#stationId, this.#log);
  }

  /**
   * Prepares the PKI and starts connecting; resolves once connected or after the first failed
   * attempt (at the latest after `startWaitMs`). Rejects only when the PKI cannot be prepared.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    await this.#starting;
  }

  async #start(): Promise<void> {
    const generation = this.#generation;
    const pki = await prepareAgentPki({
      pkiDir: this.#pkiDir,
      applicationUri: `urn:${os.hostname()}:shanshui:edge-agent`,
      applicationName: 'Shanshui edge agent',
    });
    if (generation !== this.#generation) {
      // stop() came while the PKI was being prepared.
      await pki.certificateManager.dispose().catch(() => undefined);
      return;
    }
    this.#pki = pki;
    this.#abort = new AbortController();
    this.#running = true;
    this.#established = false;
    this.#watchdog.clearRequest();
    this.#state = 'connecting';
    this.#firstAttempt = deferred();
    this.#connectLoop = this.#connect(pki);
    this.#watchdogTimer = setInterval(() => this.#checkWatchdog(), this.#watchdog.checkEveryMs);
    this.#watchdogTimer.unref();
    const wait = setTimeout(() => this.#firstAttempt?.resolve(), D.startWaitMs);
    await this.#firstAttempt.promise;
    clearTimeout(wait);
  }

  async stop(): Promise<void> {
    this.#generation += 1;
    await this.#starting?.catch(() => undefined);
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    clearInterval(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
    this.#firstAttempt?.resolve();
    this.#flush();
    const client = this.#client;
    const subscription = this.#subscription;
    const session = this.#session;
    this.#subscription = undefined;
    this.#session = undefined;
    // Polite shutdown only over a live connection; a server that is away would just time out.
    const live = this.#state === 'connected' && !client?.isReconnecting;
    if (live && subscription) await this.#terminateSubscription(subscription);
    if (live && session) await withTimeout(session.close(true), D.closeTimeoutMs).catch((err: unknown) => this.#log.debug({ err }, 'closing the session failed'));
    subscription?.removeAllListeners();
    session?.removeAllListeners();
    // disconnect() also aborts a connect() still retrying.
    if (client) await client.disconnect().catch((err: unknown) => this.#log.debug({ err }, 'disconnect failed'));
    await this.#connectLoop?.catch(() => undefined);
    await this.#rebuilding?.catch(() => undefined);
    this.#client = undefined;
    this.#connectLoop = undefined;
    await this.#pki?.certificateManager.dispose().catch(() => undefined);
    this.#pki = undefined;
    this.#state = 'disconnected';
    this.#log.info('stopped');
  }

  stats(): OpcuaSourceStats {
    return {
      state: this.#state,
      notifications: this.#notifications,
      reconnects: this.#reconnects,
      subscriptionRebuilds: this.#subscriptionRebuilds,
      ...(this.#lastNotificationAt === undefined ? {} : { lastNotificationAt: this.#lastNotificationAt }),
      badQuality: this.#badQuality,
    };
  }

  /** Runs a configured command: `write` → Write service, `call` → Call service. Never throws. */
  async executeCommand(name: string, args: Record<string, unknown>): Promise<OpcuaCommandResult> {
    const session = this.#state === 'connected' ? this.#session : undefined;
    return runOpcuaCommand(this.#config.commands, session, name, args, this.#log);
  }

  #createClient(pki: AgentPki): OPCUAClient {
    const client = OPCUAClient.create({
      applicationName: 'Shanshui edge agent',
      applicationUri: pki.applicationUri,
      clientName: `shanshui-${this.#stationId}`,
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: D.sessionTimeoutMs,
      securityMode: MessageSecurityMode[this.#config.securityMode],
      securityPolicy: SecurityPolicy[this.#config.securityPolicy],
      clientCertificateManager: pki.certificateManager,
      certificateFile: pki.certificateFile,
      privateKeyFile: pki.privateKeyFile,
      connectionStrategy: { maxRetry: -1, initialDelay: D.initialDelayMs, maxDelay: D.maxDelayMs, randomisationFactor: 0.2 },
    });
    client.on('backoff', (count, delay) => {
      // A long outage retries every 10 s; warn on the first and then every 30th attempt.
      this.#log[count % 30 === 0 ? 'warn' : 'debug']({ attempt: count, delayMs: delay }, 'OPC-UA server unreachable, retrying');
      this.#firstAttempt?.resolve();
    });
    const current = (): boolean => this.#running && this.#client === client;
    client.on('connection_lost', () => {
      if (!current()) return;
      this.#state = 'disconnected';
      this.#log.warn('connection to the OPC-UA server lost');
    });
    client.on('start_reconnection', () => {
      if (current()) this.#state = 'connecting';
    });
    client.on('connection_reestablished', () => {
      if (!current()) return;
      this.#reconnects += 1;
      this.#touch();
      if (this.#session) this.#state = 'connected';
      this.#log.info({ reconnects: this.#reconnects }, 'connection to the OPC-UA server re-established');
    });
    return client;
  }

  /**
   * Connects, then builds session and subscription. node-opcua's connect() retries a down server
   * by itself; what fails anyway (no endpoint for the security mode, session refused…) is retried
   * here with a fresh client, as a disconnected OPCUAClient is not meant to be reused.
   */
  async #connect(pki: AgentPki): Promise<void> {
    let delayMs = D.initialDelayMs;
    let failures = 0;
    while (this.#running) {
      const client = this.#createClient(pki);
      this.#client = client;
      try {
        await client.connect(this.#config.endpointUrl);
        if (!this.#running) return;
        await this.#openSession(client);
        if (!this.#running) return;
        this.#state = 'connected';
        this.#established = true;
        this.#log.info({ securityMode: this.#config.securityMode, securityPolicy: this.#config.securityPolicy }, 'connected and subscribed');
        this.#firstAttempt?.resolve();
        return;
      } catch (err) {
        if (!this.#running) return;
        this.#log[failures % 30 === 0 ? 'warn' : 'debug']({ err, retryInMs: delayMs, failures: failures + 1 }, 'connecting to the OPC-UA server failed');
        failures += 1;
        this.#firstAttempt?.resolve();
        await this.#closeSession();
        await client.disconnect().catch(() => undefined);
        await sleep(delayMs, this.#abort.signal);
        delayMs = Math.min(delayMs * 2, D.maxDelayMs);
      }
    }
  }

  async #openSession(client: OPCUAClient): Promise<void> {
    const session = await client.createSession();
    this.#session = session;
    session.on('session_closed', (statusCode: StatusCode) => {
      if (this.#running && this.#session === session) this.#log.warn({ status: statusCode.name }, 'session closed');
    });
    session.on('session_restored', () => {
      this.#touch();
      this.#log.info('session restored after reconnection');
    });
    session.on('keepalive_failure', () => this.#log.warn('session keep-alive failed'));
    await this.#createSubscription(session);
  }

  async #createSubscription(session: ClientSession): Promise<void> {
    const publishingIntervalMs = this.#config.publishingIntervalMs;
    const { keepAliveCount, lifetimeCount } = subscriptionCounts(this.#config.watchdogMs, publishingIntervalMs);
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: publishingIntervalMs,
      requestedMaxKeepAliveCount: keepAliveCount,
      requestedLifetimeCount: lifetimeCount,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    this.#subscription = subscription;
    this.#touch();
    // A watchdog shorter than the revised keep-alive period would rebuild a healthy subscription.
    const keepAlivePeriodMs = subscription.publishingInterval * subscription.maxKeepAliveCount;
    if (this.#watchdog.fitKeepAlive(keepAlivePeriodMs)) {
      this.#log.warn({ watchdogMs: this.#config.watchdogMs, keepAlivePeriodMs, effectiveWatchdogMs: this.#watchdog.effectiveMs }, 'server revised the keep-alive beyond the watchdog; watchdog widened');
    }
    subscription.on('keepalive', () => this.#touch());
    subscription.on('received_notifications', () => this.#touch());
    subscription.on('status_changed', (status: StatusCode) => {
      if (this.#subscription !== subscription) return;
      this.#log.warn({ status: status.name }, 'server changed the subscription status');
      if (status.isNotGood()) this.#watchdog.request(`subscription status ${status.name}`);
    });
    subscription.on('terminated', () => {
      if (this.#subscription === subscription && this.#running) this.#watchdog.request('subscription terminated by the server');
    });
    subscription.on('internal_error', (err: Error) => this.#log.warn({ err }, 'subscription internal error'));
    subscription.on('error', (err: Error) => this.#log.warn({ err }, 'subscription error'));
    await monitorItems(subscription, this.#config.items, (index, dataValue) => this.#onDataChange(index, dataValue), this.#log);
  }

  #onDataChange(index: number, dataValue: DataValue): void {
    const item = this.#config.items[index];
    if (!item || !this.#running) return;
    this.#notifications += 1;
    this.#lastNotificationAt = new Date().toISOString();
    this.#touch();
    const { quality, queued } = this.#changes.add(item, dataValue);
    if (quality !== 'ok') this.#badQuality += 1;
    if (!queued || this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (!this.#changes.pending) return;
    const readings = this.#changes.take();
    try {
      const returned: unknown = this.#onReadings(readings);
      if (returned instanceof Promise) returned.catch((err: unknown) => this.#log.error({ err }, 'onReadings rejected'));
    } catch (err) {
      this.#log.error({ err }, 'onReadings threw');
    }
  }

  #touch(): void {
    this.#watchdog.touch(Date.now());
  }

  /**
   * Rebuilds only between node-opcua's own repairs (never while it reconnects), and only after
   * the first connection — before that, the connect loop owns the client.
   */
  #checkWatchdog(): void {
    if (!this.#running) return;
    const view = {
      established: this.#established,
      busy: this.#rebuilding !== undefined || this.#client?.isReconnecting === true,
      hasSession: this.#session !== undefined,
      connected: this.#state === 'connected',
    };
    const reason = this.#watchdog.due(view, Date.now());
    if (reason !== undefined) this.#scheduleRebuild(reason);
  }

  #scheduleRebuild(reason: string): void {
    if (this.#rebuilding || !this.#running) return;
    this.#watchdog.clearRequest();
    this.#rebuilding = this.#rebuild(reason)
      .catch((err: unknown) => this.#log.error({ err }, 'rebuilding the subscription failed; the watchdog will try again'))
      .finally(() => {
        this.#rebuilding = undefined;
        this.#touch();
      });
  }

  async #rebuild(reason: string): Promise<void> {
    this.#log.warn({ reason }, 'rebuilding the subscription');
    const old = this.#subscription;
    this.#subscription = undefined;
    if (old) await this.#terminateSubscription(old);
    const session = this.#session;
    const client = this.#client;
    if (!this.#running || !client) return;
    if (session) {
      try {
        await this.#createSubscription(session);
        this.#subscriptionRebuilds += 1;
        this.#log.info({ subscriptionRebuilds: this.#subscriptionRebuilds }, 'subscription rebuilt');
        return;
      } catch (err) {
        this.#log.warn({ err }, 'session refused a new subscription; opening a new session');
      }
    }
    await this.#closeSession();
    this.#state = 'connecting';
    if (!this.#running) return;
    await this.#openSession(client);
    this.#subscriptionRebuilds += 1;
    this.#reconnects += 1;
    this.#state = 'connected';
    this.#log.info({ subscriptionRebuilds: this.#subscriptionRebuilds }, 'session and subscription rebuilt');
  }

  async #terminateSubscription(subscription: ClientSubscription): Promise<void> {
    subscription.removeAllListeners();
    // A stuck subscription may never answer; the server drops it at the end of its lifetime anyway.
    await withTimeout(subscription.terminate(), D.closeTimeoutMs).catch((err: unknown) => this.#log.debug({ err }, 'terminating the old subscription failed'));
  }

  async #closeSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#subscription = undefined;
    if (!session) return;
    session.removeAllListeners();
    await withTimeout(session.close(true), D.closeTimeoutMs).catch((err: unknown) => this.#log.debug({ err }, 'closing the session failed'));
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal, ref: false }).catch(() => undefined);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
