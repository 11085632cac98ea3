/**
 * The uplink's options: one defaults constant, the zod schemas the uplink validates its options
 * and each live profile change with, and the two choices the profile makes about the connection
 * (which URL, which reconnect backoff). No I/O.
 *
 * Profiles: `5g` — JSON, payloads up to `maxPayloadBytes5g`; `nbiot` — CBOR within the profile's
 * `maxPayloadBytes`, long keep-alive, reconnect backoff starting higher. Both use mqtts when the
 * credentials carry a TLS URL, unless the profile says `plainMqtt`.
 */
import type { Logger } from 'pino';
import * as z from 'zod';
import { Backoff } from '@shanshui/models/edge';
import type { AgentConfig, PayloadEncoding } from '@shanshui/models/edge';
import type { ReadingBuffer } from '../buffer/reading-buffer.ts';

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
  /** A lone child message counts against its station only when the connection closed this soon after it was sent, ms. */
  refusalWindowMs: 5_000,
};

const D = MQTT_UPLINK_DEFAULTS;

export const UplinkProfileSchema = z.strictObject({
  profile: z.enum(['5g', 'nbiot']),
  batchIntervalSec: z.number().positive(),
  maxPayloadBytes: z.number().int().min(128),
  keepaliveSec: z.number().int().min(1).max(65535),
  drainRatePerSec: z.number().positive().optional(),
  plainMqtt: z.boolean().default(false),
});
export type ParsedUplinkProfile = z.output<typeof UplinkProfileSchema>;

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
  profile: UplinkProfileSchema,
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
export type ParsedMqttUplinkOptions = z.output<typeof MqttUplinkOptionsSchema>;

/** The overrides of the profile's reconnect delays, ms. */
export interface ReconnectOverrides {
  readonly reconnectMinMs?: number | undefined;
  readonly reconnectMaxMs?: number | undefined;
}

/** mqtt.js' own `reconnectPeriod` is a fixed delay: a fleet that lost the network together would reconnect in lock-step. */
export function reconnectBackoff(profile: Pick<UplinkProfile, 'profile'>, overrides: ReconnectOverrides): Backoff {
  const nb = profile.profile === 'nbiot';
  return new Backoff({
    minMs: overrides.reconnectMinMs ?? (nb ? D.reconnectMinMsNbiot : D.reconnectMinMs5g),
    maxMs: overrides.reconnectMaxMs ?? (nb ? D.reconnectMaxMsNbiot : D.reconnectMaxMs5g),
  });
}

/** TLS whenever the platform offers it; plain only by an explicit `plainMqtt` (`plainOverTls` says so, for a warning). */
export function uplinkUrl(endpoints: { readonly url: string; readonly tlsUrl?: string | undefined }, profile: Pick<UplinkProfile, 'plainMqtt'>): { url: string; plainOverTls: boolean } {
  if (!endpoints.tlsUrl) return { url: endpoints.url, plainOverTls: false };
  if (!profile.plainMqtt) return { url: endpoints.tlsUrl, plainOverTls: false };
  return { url: endpoints.url, plainOverTls: true };
}

/** How the profile encodes readings and the largest payload it sends, bytes. */
export function payloadLimits(profile: Pick<UplinkProfile, 'profile' | 'maxPayloadBytes'>, maxPayloadBytes5g: number): { encoding: PayloadEncoding; maxPayloadBytes: number } {
  return profile.profile === 'nbiot' ? { encoding: 'cbor', maxPayloadBytes: profile.maxPayloadBytes } : { encoding: 'json', maxPayloadBytes: maxPayloadBytes5g };
}
