/**
 * The uplink's one MQTT connection: each (re)connection is a fresh mqtt.js client
 * (`reconnectPeriod: 0`, clean session, last will `{online:false}` on up/status), reconnected
 * by us with the profile's backoff (`uplink-options.ts`). It subscribes to down/config and
 * down/command and hands their messages on; it knows nothing of the buffer.
 *
 * Every client belongs to a *generation*: once a connection is dropped, nothing its client
 * still reports (a late PUBACK, a close) reaches the owner — what was not acknowledged is
 * simply sent again from the buffer on the next connection.
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Backoff } from '@shanshui/models/edge';
import { downTopic, upTopic } from '@shanshui/models/edge';
import { reconnectBackoff, uplinkUrl } from './uplink-options.ts';
import type { ParsedUplinkProfile, ReconnectOverrides } from './uplink-options.ts';

export interface UplinkConnectionOptions extends ReconnectOverrides {
  readonly deviceId: string;
  readonly password: string;
  readonly url: string;
  readonly tlsUrl?: string | undefined;
  readonly ca?: string | Buffer | undefined;
  readonly connectTimeoutMs: number;
  /** Last will payload on up/status (also published by a clean `stop`). */
  readonly willPayload: string;
  readonly profile: ParsedUplinkProfile;
  readonly logger: Logger;
  /** Connected; subscriptions sent. */
  readonly onUp: () => void;
  /** The connection is gone (or was dropped): nothing sent on it will be acknowledged any more. */
  readonly onDown: () => void;
  /** A message on down/config or down/command. */
  readonly onDownlink: (kind: 'config' | 'command', payload: Buffer) => void;
}

export interface UplinkConnectionStats {
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped';
  url: string;
  connects: number;
  disconnects: number;
  /** Connection attempts that failed since the last success. */
  failedAttempts: number;
  lastConnectedAt?: string;
}

export class UplinkConnection {
  readonly #o: UplinkConnectionOptions;
  readonly #log: Logger;
  #profile: ParsedUplinkProfile;
  #backoff: Backoff;
  #client: MqttClient | undefined;
  #generation = 0;
  #connected = false;
  #stopped = true;
  #reconnectTimer: NodeJS.Timeout | undefined;
  readonly #stats: UplinkConnectionStats;

  constructor(options: UplinkConnectionOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#profile = options.profile;
    this.#backoff = reconnectBackoff(this.#profile, options);
    this.#stats = { state: 'stopped', url: this.#url(), connects: 0, disconnects: 0, failedAttempts: 0 };
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Applies a new profile; a change of profile, keep-alive or `plainMqtt` reconnects at once. */
  setProfile(profile: ParsedUplinkProfile): void {
    const old = this.#profile;
    this.#profile = profile;
    if (old.profile === profile.profile && old.keepaliveSec === profile.keepaliveSec && old.plainMqtt === profile.plainMqtt) return;
    this.#backoff = reconnectBackoff(profile, this.#o);
    this.#stats.url = this.#url();
    if (this.#stopped) return;
    this.#log.info({ profile: profile.profile, keepaliveSec: profile.keepaliveSec }, 'uplink profile changed: reconnecting');
    this.#drop(false);
    this.#connect();
  }

  /**
   * Publishes at QoS 1 on the current connection; `done` is called on its PUBACK (or error) only
   * while that connection is still the current one. Returns false when not connected.
   */
  publish(topic: string, payload: Buffer | string, done: (err?: Error) => void): boolean {
    const client = this.#client;
    if (!this.#connected || !client) return false;
    const generation = this.#generation;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (generation === this.#generation) done(err ?? undefined);
    });
    return true;
  }

  /** Gives up this connection (a publish failed, the pump broke) and reconnects after the backoff. */
  reconnectLater(): void {
    this.#drop(true);
  }

  stats(): UplinkConnectionStats {
    return { ...this.#stats };
  }

  /** Stops; a clean disconnect (no last will — the will payload is published instead, within 2 s). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stats.state = 'stopped';
    clearTimeout(this.#reconnectTimer);
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

  #url(): string {
    const { url, plainOverTls } = uplinkUrl(this.#o, this.#profile);
    if (plainOverTls) this.#log.warn({ url }, 'plainMqtt: sending over plain MQTT although the platform offers TLS; the device secret travels in clear');
    return url;
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
    const configTopic = downTopic(this.#o.deviceId, 'config');
    const commandTopic = downTopic(this.#o.deviceId, 'command');
    client.on('connect', () => {
      if (generation !== this.#generation) return;
      this.#connected = true;
      this.#backoff.reset();
      this.#stats.state = 'connected';
      this.#stats.connects++;
      this.#stats.failedAttempts = 0;
      this.#stats.lastConnectedAt = new Date().toISOString();
      client.subscribe([configTopic, commandTopic], { qos: 1 }, (err) => {
        if (err) this.#log.warn({ err: err.message }, 'subscribe failed');
      });
      this.#o.onUp();
    });
    client.on('message', (topic, payload) => {
      if (generation !== this.#generation) return;
      const kind = topic === configTopic ? 'config' : topic === commandTopic ? 'command' : undefined;
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
      if (generation === this.#generation) this.#drop(true);
    });
  }

  /** The connection is gone (or must go): forget it; reconnect after the backoff when `reconnect`. */
  #drop(reconnect: boolean): void {
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
    this.#o.onDown();
    client?.end(true);
    if (this.#stopped) return;
    this.#stats.state = 'disconnected';
    if (reconnect) {
      clearTimeout(this.#reconnectTimer);
      const delay = this.#backoff.next();
      this.#log.debug({ delayMs: delay }, 'reconnecting later');
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    }
  }
}
