/**
 * The MQTT uplink: drains the durable buffer to the platform at QoS 1 and acknowledges buffer
 * rows only on PUBACK. One connection at a time; each (re)connection is a fresh mqtt.js client
 * (`reconnectPeriod: 0`, clean session), reconnected by us with exponential backoff + jitter,
 * and everything not yet PUBACKed is simply sent again from the buffer.
 *
 * What goes next, in order (one pump loop, at most `maxInflight` messages unacknowledged):
 * 1. urgent rows (events, alarms), oldest first, immediately;
 * 2. live routine rows (taken after the connection came up): at once on the 5g profile; on
 *    the nbiot profile once per `batchIntervalSec`;
 * 3. the backlog — routine rows already in the buffer when the connection came up — oldest
 *    first, as fast as PUBACKs free the window (each PUBACK pumps the next message), or at
 *    most `drainRatePerSec` messages per second when the profile sets that cap.
 * So after an outage alarms and live readings go first while the backlog fills the rest of
 * the window.
 *
 * Child stations (a gateway publishing for the RTUs / data loggers behind it): every message
 * carries the rows of one station only, on that station's topic `shanshui/v1/{station}/up/readings`
 * with that station's own `seq`. A message takes the first unsent row's station and gathers
 * that station's rows from the window ahead, so interleaved stations still travel in full
 * messages (NB-IoT packing per station); rows of other stations stay for the next message, and
 * each station's rows keep their order.
 *
 * A child the platform no longer lets this gateway publish for (deleted, detached, moved to
 * another gateway) gets its publishes refused; `station-parking.ts` decides when to send one
 * message at a time and when to park it (its rows stay in the buffer, unsent, until `unpark()`,
 * a retry timer, or a restart), and `onStationRefused` reports it. The optional drain cap is
 * `drain-cap.ts`.
 *
 * Profiles: `5g` — JSON, mqtts when the credentials carry a TLS URL (`nbiot` too, unless
 * `plainMqtt`), payloads up to
 * `maxPayloadBytes5g`; `nbiot` — CBOR within `maxPayloadBytes`, long keep-alive, reconnect
 * backoff starting higher.
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Backoff, downTopic, upTopic } from '@shanshui/models';
import type { AgentConfig, PayloadEncoding } from '@shanshui/models';
import { AgentError, describeIssues } from '../errors.ts';
import type { BufferedItem, ReadingBuffer } from '../buffer/reading-buffer.ts';
import { encodeReadings, packReadings } from './readings-packer.ts';
import { StationParking } from './station-parking.ts';
import type { UnackedMessage } from './station-parking.ts';
import { DrainCap } from './drain-cap.ts';
import type { WireReading } from './readings-packer.ts';

/** The part of the agent config the uplink follows (changes apply live; profile/keep-alive reconnect). */
export interface UplinkProfile {
  readonly profile: AgentConfig['uplink']['profile'];
  readonly batchIntervalSec: number;
  readonly maxPayloadBytes: number;
  readonly keepaliveSec: number;
  /** Optional cap on the backlog drain, messages per second. Default none: as fast as PUBACKs come, within the window. */
  readonly drainRatePerSec?: number;
  /** Plain MQTT although a TLS endpoint is known (explicit opt-out, logged). Default false. */
  readonly plainMqtt?: boolean;
}

export const MQTT_UPLINK_DEFAULTS = {
  /** Most readings per message. */
  maxReadingsPerMessage: 500,
  /** Messages sent and not yet PUBACKed. */
  maxInflight: 8,
  /** 5g: largest payload, bytes (the platform's packet limit is 256 KiB). */
  maxPayloadBytes5g: 128 * 1024,
  /** First reconnect delay, ms (5g / nbiot). */
  reconnectMinMs5g: 1000,
  reconnectMinMsNbiot: 5000,
  /** Largest reconnect delay, ms (5g / nbiot). */
  reconnectMaxMs5g: 60_000,
  reconnectMaxMsNbiot: 600_000,
  /** CONNECT → CONNACK timeout, ms. */
  connectTimeoutMs: 30_000,
  /** Connections lost in a row with only one child station's message in flight before that station is parked. */
  refusalsToPark: 3,
  /** Parked child stations are tried again after this long, ms. */
  parkRetryMs: 15 * 60_000,
  refusalWindowMs: 5_000,
};

const D = MQTT_UPLINK_DEFAULTS;
const ProfileSchema = z.strictObject({
  profile: z.enum(['5g', 'nbiot']),
  batchIntervalSec: z.number().positive(),
  maxPayloadBytes: z.number().int().min(128),
  keepaliveSec: z.number().int().min(1).max(65535),
  drainRatePerSec: z.number().positive().optional(),
  plainMqtt: z.boolean().default(false),
});

export const MqttUplinkOptionsSchema = z.strictObject({
  /** Device id = MQTT client id = user name. Required. */
  deviceId: z.string().min(1),
  /** MQTT password. Required. */
  password: z.string(),
  /** `mqtt://host:port` (plain) — required. */
  url: z.string().regex(/^(mqtts?|tcp|ssl|wss?):\/\//, 'an mqtt:// or mqtts:// URL'),
  /** `mqtts://host:port`; used whenever given (every profile), unless the profile says `plainMqtt`. Default none. */
  tlsUrl: z.string().regex(/^mqtts:\/\//, 'an mqtts:// URL').optional(),
  /** PEM CA to verify the platform's TLS certificate. Default: system CAs. */
  ca: z.union([z.string(), z.instanceof(Buffer)]).optional(),
  /** The durable buffer to drain. Required. */
  buffer: z.custom<ReadingBuffer>((v) => typeof v === 'object' && v !== null, 'a ReadingBuffer'),
  profile: ProfileSchema,
  maxReadingsPerMessage: z.number().int().min(1).max(1000).default(D.maxReadingsPerMessage),
  maxInflight: z.number().int().min(1).max(1000).default(D.maxInflight),
  maxPayloadBytes5g: z.number().int().min(1024).default(D.maxPayloadBytes5g),
  /** Overrides the profile's first reconnect delay, ms. */
  reconnectMinMs: z.number().int().min(1).optional(),
  /** Overrides the profile's largest reconnect delay, ms. */
  reconnectMaxMs: z.number().int().min(1).optional(),
  connectTimeoutMs: z.number().int().min(100).default(D.connectTimeoutMs),
  /** Last will payload on up/status. Default `{"online":false}`. */
  willPayload: z.string().default(JSON.stringify({ online: false })),
  /** Called for each message on down/config and down/command. */
  onDownlink: z.custom<(kind: 'config' | 'command', payload: Buffer) => void>((v) => typeof v === 'function', 'a function'),
  /** Connections lost with a lone child message in flight, in a row, before that child is parked. Default 3. */
  refusalsToPark: z.number().int().min(1).default(D.refusalsToPark),
  /** Parked child stations are tried again after this long, ms. Default 900000 (15 min). */
  parkRetryMs: z.number().int().min(1).default(D.parkRetryMs),
  /** A lone child message counts against its station only when the connection closed this soon after it was sent, ms. Default 5000. */
  refusalWindowMs: z.number().int().min(1).default(D.refusalWindowMs),
  /** Called when a child station is parked (its publishes keep being refused). Default none. */
  onStationRefused: z.custom<(station: string) => void>((v) => typeof v === 'function', 'a function').optional(),
  /** Called after every successful connection (subscriptions sent). Default none. */
  onConnect: z.custom<() => void>((v) => typeof v === 'function', 'a function').optional(),
  /** pino logger; a child `{component: 'uplink'}` is used. Default silent. */
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function', 'a pino logger').optional(),
});
export type MqttUplinkOptions = z.input<typeof MqttUplinkOptionsSchema>;
type Options = z.output<typeof MqttUplinkOptionsSchema>;

export interface MqttUplinkStats {
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped';
  url: string;
  profile: '5g' | 'nbiot';
  connects: number;
  disconnects: number;
  /** Connection attempts that failed since the last success. */
  failedAttempts: number;
  messagesSent: number;
  messagesAcked: number;
  readingsAcked: number;
  eventsAcked: number;
  bytesSent: number;
  inflight: number;
  /** Backlog rows (taken before this connection came up) still to send. */
  backlogPending: boolean;
  /** Values that could not fit any payload and were dropped. */
  oversizeDropped: number;
  /** Buffer rows that were not valid JSON (dropped). */
  corruptRows: number;
  publishErrors: number;
  /** Child stations parked because the platform keeps refusing their publishes. */
  parkedStations: string[];
  lastConnectedAt?: string;
  lastAckAt?: string;
}

export class MqttUplink {
  readonly #o: Options;
  readonly #log: Logger;
  readonly #buffer: ReadingBuffer;
  #profile: UplinkProfile;
  #backoff: Backoff;
  #client: MqttClient | undefined;
  #generation = 0;
  #connected = false;
  #stopped = true;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #batchTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #pumping = false;
  #inflight = 0;
  /** Messages sent on this connection and not yet acknowledged, oldest first, by station (undefined: own). */
  #unacked: UnackedMessage[] = [];
  readonly #parking: StationParking;
  #parkRetryTimer: NodeJS.Timeout | undefined;
  readonly #cap: DrainCap;
  #urgentCursor = 0;
  #backlogCursor = 0;
  #highWater = 0;
  #liveCursor = 0;
  /** nbiot: live rows up to this id may go now (set by the batch timer). */
  #liveLimit: number | undefined;
  readonly #stats: MqttUplinkStats;

  constructor(options: MqttUplinkOptions) {
    const parsed = MqttUplinkOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AgentError('EDGE_ERR_OPTIONS_INVALID', `uplink: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
    this.#o = parsed.data;
    this.#buffer = this.#o.buffer;
    this.#profile = this.#o.profile;
    this.#log = (this.#o.logger ?? pino({ level: 'silent' })).child({ component: 'uplink' });
    this.#backoff = this.#makeBackoff();
    this.#parking = new StationParking(this.#o);
    this.#cap = new DrainCap(this.#profile.drainRatePerSec, Date.now());
    this.#stats = {
      state: 'stopped',
      url: this.#url(),
      profile: this.#profile.profile,
      connects: 0,
      disconnects: 0,
      failedAttempts: 0,
      messagesSent: 0,
      messagesAcked: 0,
      readingsAcked: 0,
      eventsAcked: 0,
      bytesSent: 0,
      inflight: 0,
      backlogPending: false,
      oversizeDropped: 0,
      corruptRows: 0,
      publishErrors: 0,
      parkedStations: [],
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#startBatchTimer();
    this.#connect();
  }

  /** New rows are in the buffer: send what the profile allows now. */
  wake(): void {
    if (this.#pumpScheduled || !this.#connected) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Applies a new profile; a change of profile, keep-alive or URL reconnects. */
  setProfile(profile: UplinkProfile): void {
    const parsed = ProfileSchema.parse(profile);
    const old = this.#profile;
    this.#profile = parsed;
    this.#stats.profile = parsed.profile;
    this.#cap.setRate(parsed.drainRatePerSec);
    if (old.batchIntervalSec !== parsed.batchIntervalSec || old.profile !== parsed.profile) this.#startBatchTimer();
    if (old.profile !== parsed.profile || old.keepaliveSec !== parsed.keepaliveSec || old.plainMqtt !== parsed.plainMqtt) {
      this.#backoff = this.#makeBackoff();
      this.#stats.url = this.#url();
      if (!this.#stopped) {
        this.#log.info({ profile: parsed.profile, keepaliveSec: parsed.keepaliveSec }, 'uplink profile changed: reconnecting');
        this.#dropConnection(false);
        this.#connect();
      }
    } else {
      this.wake();
    }
  }

  /** Publishes a status (heartbeat) now if connected — not buffered: a stale heartbeat is worthless. */
  publishStatus(fields: Record<string, string | number | boolean>): boolean {
    const client = this.#client;
    if (!this.#connected || !client) return false;
    client.publish(upTopic(this.#o.deviceId, 'status'), JSON.stringify(fields), { qos: 1 }, (err) => {
      if (err && !this.#stopped) this.#log.debug({ err: err.message }, 'heartbeat not acknowledged');
    });
    return true;
  }

  stats(): MqttUplinkStats {
    return { ...this.#stats, inflight: this.#inflight, backlogPending: this.#connected && this.#backlogCursor < this.#highWater, parkedStations: this.#parking.parked() };
  }

  /** Sends parked child stations' rows again (a config change may have fixed what the platform refused). */
  unpark(): void {
    clearTimeout(this.#parkRetryTimer);
    this.#parkRetryTimer = undefined;
    const was = this.#parking.unparkAll();
    if (was.length === 0) return;
    this.#log.info({ stations: was }, 'unparking child stations');
    // Rows in flight are skipped by the scan; everything else is looked at again from the start.
    this.#urgentCursor = 0;
    this.#backlogCursor = 0;
    this.#highWater = this.#buffer.lastId();
    this.#liveCursor = this.#highWater;
    this.wake();
  }

  /** Stops sending; a clean disconnect (no last will — the `{online:false}` status is sent instead). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stats.state = 'stopped';
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#drainTimer);
    clearInterval(this.#batchTimer);
    clearTimeout(this.#parkRetryTimer);
    const client = this.#client;
    this.#generation++;
    this.#client = undefined;
    const wasConnected = this.#connected;
    this.#connected = false;
    if (!client) return;
    if (wasConnected) {
      await Promise.race([
        client.publishAsync(upTopic(this.#o.deviceId, 'status'), this.#o.willPayload, { qos: 1 }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    }
    await Promise.race([client.endAsync(false).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    client.end(true);
  }

  /** TLS whenever the platform offers it; plain only by an explicit `plainMqtt` (a warning says so). */
  #url(): string {
    if (!this.#o.tlsUrl) return this.#o.url;
    if (!this.#profile.plainMqtt) return this.#o.tlsUrl;
    this.#log.warn({ url: this.#o.url }, 'plainMqtt: sending over plain MQTT although the platform offers TLS; the device secret travels in clear');
    return this.#o.url;
  }

  /** mqtt.js' own `reconnectPeriod` is a fixed delay: a fleet that lost the network together would reconnect in lock-step. */
  #makeBackoff(): Backoff {
    const nb = this.#profile.profile === 'nbiot';
    return new Backoff({
      minMs: this.#o.reconnectMinMs ?? (nb ? D.reconnectMinMsNbiot : D.reconnectMinMs5g),
      maxMs: this.#o.reconnectMaxMs ?? (nb ? D.reconnectMaxMsNbiot : D.reconnectMaxMs5g),
    });
  }

  #startBatchTimer(): void {
    clearInterval(this.#batchTimer);
    this.#batchTimer = undefined;
    if (this.#stopped || this.#profile.profile !== 'nbiot') return;
    this.#batchTimer = setInterval(() => {
      this.#liveLimit = this.#buffer.lastId();
      this.wake();
    }, this.#profile.batchIntervalSec * 1000);
  }

  #connect(): void {
    if (this.#stopped) return;
    const generation = ++this.#generation;
    const url = this.#url();
    this.#stats.url = url;
    this.#stats.state = 'connecting';
    const opts: IClientOptions = {
      clientId: this.#o.deviceId,
      username: this.#o.deviceId,
      password: this.#o.password,
      clean: true,
      keepalive: this.#profile.keepaliveSec,
      reconnectPeriod: 0,
      connectTimeout: this.#o.connectTimeoutMs,
      will: { topic: upTopic(this.#o.deviceId, 'status'), payload: Buffer.from(this.#o.willPayload), qos: 1, retain: false },
      ...(this.#o.ca ? { ca: this.#o.ca } : {}),
    };
    const client = mqtt.connect(url, opts);
    this.#client = client;
    client.on('connect', () => {
      if (generation !== this.#generation) return;
      this.#onConnected(client);
    });
    client.on('message', (topic, payload) => {
      if (generation !== this.#generation) return;
      const kind = topic === downTopic(this.#o.deviceId, 'config') ? 'config' : topic === downTopic(this.#o.deviceId, 'command') ? 'command' : undefined;
      if (!kind) return;
      try {
        this.#o.onDownlink(kind, payload);
      } catch (err) {
        this.#log.error({ err }, 'downlink handler failed');
      }
    });
    client.on('error', (err) => {
      if (generation === this.#generation) this.#log.warn({ err: err.message, url }, 'MQTT error');
    });
    client.on('close', () => {
      if (generation !== this.#generation) return;
      this.#dropConnection(true);
    });
  }

  #onConnected(client: MqttClient): void {
    this.#connected = true;
    this.#backoff.reset();
    this.#stats.state = 'connected';
    this.#stats.connects++;
    this.#stats.failedAttempts = 0;
    this.#stats.lastConnectedAt = new Date().toISOString();
    // Everything not PUBACKed is in the buffer: start over from its oldest rows.
    this.#inflight = 0;
    this.#unacked = [];
    this.#buffer.clearInflight();
    // A station whose rows left the buffer without a PUBACK (quota) has nothing left to prove.
    this.#parking.forgetGone((station) => this.#buffer.hasRowsOf(station));
    this.#urgentCursor = 0;
    this.#backlogCursor = 0;
    this.#highWater = this.#buffer.lastId();
    this.#liveCursor = this.#highWater;
    this.#liveLimit = undefined;
    this.#cap.reset(Date.now());
    this.#log.info({ url: this.#stats.url, backlog: this.#buffer.stats().depth }, 'uplink connected');
    client.subscribe([downTopic(this.#o.deviceId, 'config'), downTopic(this.#o.deviceId, 'command')], { qos: 1 }, (err) => {
      if (err) this.#log.warn({ err: err.message }, 'subscribe failed');
    });
    try {
      this.#o.onConnect?.();
    } catch (err) {
      this.#log.error({ err }, 'onConnect handler failed');
    }
    this.#pump();
  }

  /** The connection is gone (or must go): forget it; reconnect later when `scheduleReconnect`. */
  #dropConnection(scheduleReconnect: boolean): void {
    const client = this.#client;
    this.#generation++;
    this.#client = undefined;
    if (this.#connected) {
      this.#stats.disconnects++;
      this.#log.warn('uplink disconnected; readings stay in the buffer');
    } else {
      this.#stats.failedAttempts++;
    }
    this.#connected = false;
    this.#inflight = 0;
    this.#judgeLostMessages();
    this.#buffer.clearInflight();
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    client?.end(true);
    if (this.#stopped) return;
    this.#stats.state = 'disconnected';
    if (scheduleReconnect) {
      clearTimeout(this.#reconnectTimer);
      const delay = this.#backoff.next();
      this.#log.debug({ delayMs: delay }, 'reconnecting later');
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    }
  }

  /** The connection is gone with `#unacked` messages unacknowledged: the parking rules judge them. */
  #judgeLostMessages(): void {
    const lost = this.#unacked;
    this.#unacked = [];
    const parked = this.#parking.connectionLost(lost, Date.now());
    if (!parked) return;
    this.#log.error({ station: parked.station, strikes: parked.strikes, retryInMs: parked.retryInMs }, 'the platform keeps refusing publishes for this child station (not a child of this gateway any more?); its readings stay in the buffer, unsent');
    if (!this.#parkRetryTimer) {
      this.#parkRetryTimer = setTimeout(() => {
        this.#parkRetryTimer = undefined;
        this.unpark();
      }, parked.retryInMs);
      this.#parkRetryTimer.unref();
    }
    try {
      this.#o.onStationRefused?.(parked.station);
    } catch (err) {
      this.#log.error({ err }, 'onStationRefused handler failed');
    }
  }

  #pump(): void {
    if (!this.#connected || this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      const window = this.#parking.window(this.#o.maxInflight);
      while (this.#connected && this.#inflight < window) {
        if (this.#sendUrgent() || this.#sendLive() || this.#sendBacklog()) continue;
        break;
      }
    } catch (err) {
      this.#log.error({ err }, 'uplink pump failed; reconnecting');
      this.#dropConnection(true);
    } finally {
      this.#pumping = false;
    }
  }

  #sendUrgent(): boolean {
    const rows = this.#buffer.peek('urgent', this.#urgentCursor, this.#o.maxReadingsPerMessage);
    if (rows.length === 0) return false;
    const first = rows[0]!;
    if (first.kind === 'events') {
      this.#urgentCursor = first.id;
      this.#publish('events', [first], [Buffer.from(first.body)], 0, 1, first.station);
      return true;
    }
    const readings: BufferedItem[] = [];
    for (const r of rows) {
      if (r.kind !== 'readings') break;
      readings.push(r);
    }
    return this.#sendReadings(readings, (id) => (this.#urgentCursor = id));
  }

  #sendBacklog(): boolean {
    if (this.#backlogCursor >= this.#highWater) return false;
    const waitMs = this.#cap.waitMs(Date.now());
    if (waitMs > 0) {
      this.#drainTimer ??= setTimeout(() => {
        this.#drainTimer = undefined;
        this.#pump();
      }, waitMs);
      return false;
    }
    const rows = this.#buffer.peek('routine', this.#backlogCursor, this.#o.maxReadingsPerMessage, this.#highWater);
    if (rows.length === 0) {
      this.#backlogCursor = this.#highWater;
      this.#log.info('backlog drained');
      return false;
    }
    const messagesBefore = this.#stats.messagesSent;
    const progressed = this.#sendReadings(rows, (id) => (this.#backlogCursor = id));
    if (this.#stats.messagesSent > messagesBefore) this.#cap.spend();
    return progressed;
  }

  #sendLive(): boolean {
    const nbiot = this.#profile.profile === 'nbiot';
    if (nbiot && this.#liveLimit === undefined) return false;
    const rows = this.#buffer.peek('routine', this.#liveCursor, this.#o.maxReadingsPerMessage, nbiot ? this.#liveLimit : undefined);
    if (rows.length === 0) {
      if (nbiot) this.#liveLimit = undefined;
      return false;
    }
    return this.#sendReadings(rows, (id) => (this.#liveCursor = id));
  }

  /**
   * Packs the first unsent row's station's rows among `rows` into one message plan and publishes
   * it; then advances the cursor over every row at the front that is sent or gone. Returns
   * whether it made progress (sent, dropped, or skipped rows already in flight).
   */
  #sendReadings(rows: readonly BufferedItem[], advance: (id: number) => void): boolean {
    const done = new Set<number>();
    const parked = (row: BufferedItem): boolean => this.#parking.isParked(row.station);
    const moveCursor = (): void => {
      let last: number | undefined;
      for (const row of rows) {
        if (!done.has(row.id) && !this.#buffer.isInflight(row.id) && !parked(row)) break;
        last = row.id;
      }
      if (last !== undefined) advance(last);
    };
    // Rows already sent (ahead of another station's rows) are awaiting their PUBACK; parked ones wait.
    const fresh = rows.filter((row) => !this.#buffer.isInflight(row.id) && !parked(row));
    if (fresh.length === 0) {
      moveCursor();
      return true;
    }
    const station = fresh[0]!.station;
    const readings: WireReading[] = [];
    const items: BufferedItem[] = [];
    for (const row of fresh) {
      if (row.station !== station) continue;
      try {
        readings.push(JSON.parse(row.body) as WireReading);
        items.push(row);
      } catch {
        this.#stats.corruptRows++;
        this.#buffer.ack([row.id]);
        done.add(row.id);
      }
    }
    if (readings.length === 0) {
      moveCursor();
      return true;
    }
    const encoding: PayloadEncoding = this.#profile.profile === 'nbiot' ? 'cbor' : 'json';
    const maxPayloadBytes = this.#profile.profile === 'nbiot' ? this.#profile.maxPayloadBytes : this.#o.maxPayloadBytes5g;
    const plan = packReadings(readings, { encoding, maxPayloadBytes, maxReadings: this.#o.maxReadingsPerMessage });
    const carried = items.slice(0, plan.count);
    for (const c of carried) done.add(c.id);
    if (plan.parts.length === 0) {
      // Not one value of this reading fits a payload: nothing can ever carry it.
      this.#stats.oversizeDropped++;
      this.#log.error({ ids: carried.map((c) => c.id), maxPayloadBytes }, 'reading cannot fit any payload; dropped');
      this.#buffer.ack(carried.map((c) => c.id));
      moveCursor();
      return true;
    }
    if (plan.parts.length > 1 || Object.keys(plan.parts[0]![0]!.values).length < Object.keys(readings[0]!.values).length) {
      const kept = plan.parts.reduce((n, p) => n + Object.keys(p[0]!.values).length, 0);
      if (kept < Object.keys(readings[0]!.values).length) this.#stats.oversizeDropped++;
    }
    const payloads = plan.parts.map((part) => encodeReadings(this.#buffer.seq.next(station), part, encoding));
    this.#publish('readings', carried, payloads, plan.count, 0, station);
    moveCursor();
    return true;
  }

  /** Publishes the payloads at QoS 1 on `station`'s topic (default own); the rows leave the buffer once every payload is PUBACKed. */
  #publish(kind: 'readings' | 'events', items: BufferedItem[], payloads: Buffer[], readings: number, events: number, station: string | undefined): void {
    const ids = items.map((i) => i.id);
    const client = this.#client!;
    const generation = this.#generation;
    const topic = upTopic(station ?? this.#o.deviceId, kind);
    let pending = payloads.length;
    let failed = false;
    const message = { station, sentAt: Date.now() };
    this.#unacked.push(message);
    this.#inflight++;
    this.#buffer.markInflight(items);
    for (const payload of payloads) {
      this.#stats.messagesSent++;
      this.#stats.bytesSent += payload.length;
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (generation !== this.#generation) return; // that connection is gone; the rows are sent again
        if (err) {
          if (!failed) {
            failed = true;
            this.#stats.publishErrors++;
            this.#log.warn({ err: err.message }, 'publish failed; reconnecting');
            this.#dropConnection(true);
          }
          return;
        }
        if (--pending > 0) return;
        this.#inflight--;
        this.#unacked.splice(this.#unacked.indexOf(message), 1);
        this.#parking.acknowledged(station);
        this.#buffer.ack(ids);
        this.#stats.messagesAcked += payloads.length;
        this.#stats.readingsAcked += readings;
        this.#stats.eventsAcked += events;
        this.#stats.lastAckAt = new Date().toISOString();
        this.#pump();
      });
    }
  }
}
