/**
 * The MQTT uplink: drains the durable buffer to the platform at QoS 1 and acknowledges buffer
 * rows only on PUBACK. Everything not yet PUBACKed when a connection is lost is simply sent
 * again from the buffer on the next one. Its parts, each in its own file:
 * - `uplink-options.ts` — options, defaults, profiles (which URL, which backoff);
 * - `uplink-connection.ts` — the one MQTT connection, reconnected with backoff, downlinks;
 * - `send-order.ts` — which rows go next: urgent, live, then the backlog (`drain-cap.ts`);
 * - `readings-message-plan.ts` — one station's rows into one message (`readings-packer.ts`);
 * - `station-parking.ts` — child stations whose publishes the platform keeps refusing.
 * This file ties them together: one pump loop keeps at most `maxInflight` messages
 * unacknowledged (each PUBACK pumps the next), tracks what is in flight, and keeps the stats.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import { upTopic } from '@shanshui/models/edge';
import { AgentError, describeIssues } from '../errors.ts';
import type { BufferedItem, ReadingBuffer } from '../buffer/reading-buffer.ts';
import { encodeReadings } from './readings-packer.ts';
import { planReadingsMessage } from './readings-message-plan.ts';
import { SendOrder } from './send-order.ts';
import { StationParking } from './station-parking.ts';
import type { UnackedMessage } from './station-parking.ts';
import { UplinkConnection } from './uplink-connection.ts';
import type { UplinkConnectionStats } from './uplink-connection.ts';
import { MqttUplinkOptionsSchema, payloadLimits, UplinkProfileSchema } from './uplink-options.ts';
import type { MqttUplinkOptions, ParsedMqttUplinkOptions, ParsedUplinkProfile, UplinkProfile } from './uplink-options.ts';

export interface MqttUplinkStats extends UplinkConnectionStats {
  profile: '5g' | 'nbiot';
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
  lastAckAt?: string;
}

type SendCounters = Pick<MqttUplinkStats, 'messagesSent' | 'messagesAcked' | 'readingsAcked' | 'eventsAcked' | 'bytesSent' | 'oversizeDropped' | 'corruptRows' | 'publishErrors' | 'lastAckAt'>;

export class MqttUplink {
  readonly #o: ParsedMqttUplinkOptions;
  readonly #log: Logger;
  readonly #buffer: ReadingBuffer;
  readonly #connection: UplinkConnection;
  readonly #order: SendOrder;
  readonly #parking: StationParking;
  #profile: ParsedUplinkProfile;
  #stopped = true;
  #drainTimer: NodeJS.Timeout | undefined;
  #batchTimer: NodeJS.Timeout | undefined;
  #parkRetryTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #pumping = false;
  /** Messages sent on this connection and not yet acknowledged, oldest first, by station (undefined: own). */
  #unacked: UnackedMessage[] = [];
  /**
   * Buffer rows whose message is PUBACKed, deleted from the buffer together at the end of the
   * turn (one transaction for the PUBACKs of one read, not one each). Until then they stay marked
   * in flight, so nothing sends them again; a crash in between sends them once more.
   */
  #acked: number[] = [];
  #ackFlushScheduled = false;
  readonly #counters: SendCounters = {
    messagesSent: 0,
    messagesAcked: 0,
    readingsAcked: 0,
    eventsAcked: 0,
    bytesSent: 0,
    oversizeDropped: 0,
    corruptRows: 0,
    publishErrors: 0,
  };

  constructor(options: MqttUplinkOptions) {
    const parsed = MqttUplinkOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AgentError('EDGE_ERR_OPTIONS_INVALID', `uplink: ${describeIssues(parsed.error.issues)}`, { cause: parsed.error });
    const o = parsed.data;
    this.#o = o;
    this.#buffer = o.buffer;
    this.#profile = o.profile;
    this.#log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'uplink' });
    this.#parking = new StationParking(o);
    this.#order = new SendOrder(this.#buffer, { maxRows: o.maxReadingsPerMessage, batched: this.#profile.profile === 'nbiot', drainRatePerSec: this.#profile.drainRatePerSec }, Date.now());
    this.#connection = new UplinkConnection({
      ...o,
      profile: this.#profile,
      logger: this.#log,
      onUp: () => this.#onUp(),
      onDown: () => this.#onDown(),
    });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#startBatchTimer();
    this.#connection.start();
  }

  /** New rows are in the buffer: send what the profile allows now. */
  wake(): void {
    if (this.#pumpScheduled || !this.#connection.connected) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  get connected(): boolean {
    return this.#connection.connected;
  }

  /** Applies a new profile; a change of profile, keep-alive or URL reconnects. */
  setProfile(profile: UplinkProfile): void {
    const parsed = UplinkProfileSchema.parse(profile);
    const old = this.#profile;
    this.#profile = parsed;
    this.#order.setProfile(parsed.profile === 'nbiot', parsed.drainRatePerSec);
    if (old.batchIntervalSec !== parsed.batchIntervalSec || old.profile !== parsed.profile) this.#startBatchTimer();
    this.#connection.setProfile(parsed);
    this.wake();
  }

  /** Publishes a status (heartbeat) now if connected — not buffered: a stale heartbeat is worthless. */
  publishStatus(fields: Record<string, string | number | boolean>): boolean {
    return this.#connection.publish(upTopic(this.#o.deviceId, 'status'), JSON.stringify(fields), (err) => {
      if (err && !this.#stopped) this.#log.debug({ err: err.message }, 'heartbeat not acknowledged');
    });
  }

  stats(): MqttUplinkStats {
    const connected = this.#connection.connected;
    return {
      ...this.#connection.stats(),
      ...this.#counters,
      profile: this.#profile.profile,
      inflight: this.#unacked.length,
      backlogPending: connected && this.#order.backlogPending,
      parkedStations: this.#parking.parked(),
    };
  }

  /** Sends parked child stations' rows again (a config change may have fixed what the platform refused). */
  unpark(): void {
    clearTimeout(this.#parkRetryTimer);
    this.#parkRetryTimer = undefined;
    const was = this.#parking.unparkAll();
    if (was.length === 0) return;
    this.#log.info({ stations: was }, 'unparking child stations');
    this.#order.rewind();
    this.wake();
  }

  /** Stops sending; a clean disconnect (no last will — the `{online:false}` status is sent instead). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#drainTimer);
    clearInterval(this.#batchTimer);
    clearTimeout(this.#parkRetryTimer);
    this.#flushAcks();
    await this.#connection.stop();
    this.#flushAcks();
  }

  #startBatchTimer(): void {
    clearInterval(this.#batchTimer);
    this.#batchTimer = undefined;
    if (this.#stopped || this.#profile.profile !== 'nbiot') return;
    this.#batchTimer = setInterval(() => {
      this.#order.releaseLive();
      this.wake();
    }, this.#profile.batchIntervalSec * 1000);
  }

  /** Deletes the PUBACKed rows from the buffer now. */
  #flushAcks(): void {
    if (this.#acked.length === 0) return;
    const ids = this.#acked;
    this.#acked = [];
    try {
      this.#buffer.ack(ids);
    } catch (err) {
      // Left in the buffer: sent again after the next connection, stored once by the platform.
      this.#log.error({ err, rows: ids.length }, 'could not remove acknowledged rows from the buffer');
    }
  }

  #onUp(): void {
    this.#flushAcks();
    // Everything not PUBACKed is in the buffer: start over from its oldest rows.
    this.#unacked = [];
    this.#buffer.clearInflight();
    // A station whose rows left the buffer without a PUBACK (quota) has nothing left to prove.
    this.#parking.forgetGone((station) => this.#buffer.hasRowsOf(station));
    this.#order.restart(Date.now());
    this.#log.info({ url: this.#connection.stats().url, backlog: this.#buffer.stats().depth }, 'uplink connected');
    try {
      this.#o.onConnect?.();
    } catch (err) {
      this.#log.error({ err }, 'onConnect handler failed');
    }
    this.#pump();
  }

  #onDown(): void {
    this.#flushAcks();
    const lost = this.#unacked;
    this.#unacked = [];
    this.#judgeLostMessages(lost);
    this.#buffer.clearInflight();
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  /** The connection is gone with `lost` unacknowledged: the parking rules judge them. */
  #judgeLostMessages(lost: UnackedMessage[]): void {
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
    if (!this.#connection.connected || this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      const window = this.#parking.window(this.#o.maxInflight);
      while (this.#connection.connected && this.#unacked.length < window) {
        const next = this.#order.next(Date.now());
        if (next.kind === 'idle') {
          if (next.backlogDrained) this.#log.info('backlog drained');
          break;
        }
        if (next.kind === 'wait') {
          this.#drainTimer ??= setTimeout(() => {
            this.#drainTimer = undefined;
            this.#pump();
          }, next.ms);
          break;
        }
        if (this.#send(next.rows, next.advance) && next.lane === 'backlog') this.#order.backlogSent();
      }
    } catch (err) {
      this.#log.error({ err }, 'uplink pump failed; reconnecting');
      this.#connection.reconnectLater();
    } finally {
      this.#pumping = false;
    }
  }

  /** Sends the next message from `rows` (one lane's, oldest first) and moves the lane on. Returns whether a message was published. */
  #send(rows: BufferedItem[], advance: (id: number) => void): boolean {
    const first = rows[0]!;
    if (first.kind === 'events') {
      advance(first.id);
      this.#publish('events', [first], [Buffer.from(first.body)], { readings: 0, events: 1 }, first.station);
      return true;
    }
    const limits = { ...payloadLimits(this.#profile, this.#o.maxPayloadBytes5g), maxReadings: this.#o.maxReadingsPerMessage };
    const plan = planReadingsMessage(rows, (row) => this.#buffer.isInflight(row.id) || this.#parking.isParked(row.station), limits);
    let published = false;
    if (plan.corrupt.length > 0) {
      this.#counters.corruptRows += plan.corrupt.length;
      this.#buffer.ack(plan.corrupt.map((r) => r.id));
    }
    if (plan.carried.length > 0 && plan.parts.length === 0) {
      // Not one value of this reading fits a payload: nothing can ever carry it.
      this.#counters.oversizeDropped++;
      this.#log.error({ ids: plan.carried.map((c) => c.id), maxPayloadBytes: limits.maxPayloadBytes }, 'reading cannot fit any payload; dropped');
      this.#buffer.ack(plan.carried.map((c) => c.id));
    } else if (plan.carried.length > 0) {
      if (plan.valuesDropped) this.#counters.oversizeDropped++;
      const payloads = plan.parts.map((part, i) => encodeReadings(this.#buffer.seq.next(plan.station), part, limits.encoding, plan.partsJson?.[i]));
      this.#publish('readings', plan.carried, payloads, { readings: plan.carried.length, events: 0 }, plan.station);
      published = true;
    }
    if (plan.cursorTo !== undefined) advance(plan.cursorTo);
    return published;
  }

  /** Publishes the payloads at QoS 1 on `station`'s topic (default own); the rows leave the buffer once every payload is PUBACKed. */
  #publish(kind: 'readings' | 'events', items: BufferedItem[], payloads: Buffer[], counts: { readings: number; events: number }, station: string | undefined): void {
    const ids = items.map((i) => i.id);
    const topic = upTopic(station ?? this.#o.deviceId, kind);
    let pending = payloads.length;
    let failed = false;
    const message: UnackedMessage = { station, sentAt: Date.now() };
    this.#unacked.push(message);
    this.#buffer.markInflight(items);
    for (const payload of payloads) {
      this.#counters.messagesSent++;
      this.#counters.bytesSent += payload.length;
      this.#connection.publish(topic, payload, (err) => {
        if (err) {
          if (!failed) {
            failed = true;
            this.#counters.publishErrors++;
            this.#log.warn({ err: err.message }, 'publish failed; reconnecting');
            this.#connection.reconnectLater();
          }
          return;
        }
        if (--pending > 0) return;
        this.#unacked.splice(this.#unacked.indexOf(message), 1);
        this.#parking.acknowledged(station);
        for (const id of ids) this.#acked.push(id);
        if (!this.#ackFlushScheduled) {
          this.#ackFlushScheduled = true;
          setImmediate(() => {
            this.#ackFlushScheduled = false;
            this.#flushAcks();
          });
        }
        this.#counters.messagesAcked += payloads.length;
        this.#counters.readingsAcked += counts.readings;
        this.#counters.eventsAcked += counts.events;
        this.#counters.lastAckAt = new Date().toISOString();
        this.#pump();
      });
    }
  }
}
