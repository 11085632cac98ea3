/**
 * Bench support: the messages between the bench and its load-generator child processes — the
 * mqtt.js one (load-generator.ts) and the light one on raw sockets (light-load-generator.ts).
 */

export interface GeneratorDevice {
  readonly id: string;
  /** Empty for brokers without authentication (the Mosquitto peer). */
  readonly password: string;
  readonly index: number;
}

export type GeneratorCommand =
  | {
      /** Connects more devices (added to those already connected). */
      readonly cmd: 'connect';
      readonly url: string;
      readonly devices: readonly GeneratorDevice[];
      readonly keepaliveSec: number;
      /** Subscribe each device to its own `shanshui/v1/{id}/down/#`, as a real device does. */
      readonly subscribeDown: boolean;
      /** Connects in flight. */
      readonly concurrency: number;
      /** MQTT 3.1.1 (4, the default) or 5 — the light generator only (mqtt.js devices speak 3.1.1). */
      readonly protocolVersion?: 4 | 5;
    }
  | {
      readonly cmd: 'publish';
      readonly messagesPerDevice: number;
      readonly readingsPerMessage: number;
      /** Unacknowledged QoS 1 publishes each device keeps in flight. */
      readonly window: number;
      /** Timestamp of each device's reading k is `tsBase + readingOffset + k` (ms): unique points. */
      readonly tsBase: number;
      readonly readingOffset: number;
      /** Messages start from this seq. */
      readonly seqStart: number;
      /** Stop starting new publishes after this (the result says `capped`). */
      readonly maxSeconds: number;
      /** Readings per second for all devices together (paced); 0 or absent: as fast as the windows allow. */
      readonly ratePerSec?: number;
    }
  | { readonly cmd: 'close' };

export interface PublishResult {
  readonly messages: number;
  readonly readings: number;
  /** Epoch ms (fractional) of the first publish and of the last PUBACK. */
  readonly firstPublishAt: number;
  readonly lastAckAt: number;
  readonly ackMsP50: number;
  readonly ackMsP99: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly capped: boolean;
}

export type GeneratorEvent =
  | { readonly ev: 'ready' }
  | { readonly ev: 'connected'; readonly ok: number; readonly failed: number; readonly seconds: number; readonly firstError?: string; readonly rssKiB: number }
  | { readonly ev: 'progress'; readonly readingsAcked: number; readonly connected: number }
  | ({ readonly ev: 'published' } & PublishResult)
  | { readonly ev: 'closed' }
  | { readonly ev: 'error'; readonly message: string };
