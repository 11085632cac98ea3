/**
 * The platform's events, each with one declared payload, and the consumers that listen to them
 * registered as one list (composition root: who listens to what). A consumer that throws is
 * logged and never reaches the emitter — the publish path emits after the spool fsync and must
 * not fail because a listener did.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { PresenceEvent } from '@shanshui/broker';
import type { Reading, Station } from '@shanshui/models';
import type { Alert, AlertEvent } from './alerts/alert.ts';

/** A readings message is durable in the spool: the rules', latest values' and live feed's input. */
export interface ReadingsDurable {
  readonly station: Station;
  readonly seq: number;
  readonly readings: readonly Reading[];
}

/** An `up/status` or `up/events` message, durable in the spool. */
export interface DeviceMessage {
  readonly station: Station;
  readonly fields: Readonly<Record<string, number | string>>;
}

export interface Subscribed {
  readonly deviceId: string;
  readonly filters: readonly string[];
}

export interface AlertChanged {
  readonly alert: Alert;
  readonly event: AlertEvent;
}

export interface PlatformEventMap {
  readingsDurable: [ReadingsDurable];
  status: [DeviceMessage];
  events: [DeviceMessage];
  /** A device connected to or left this node. */
  presence: [PresenceEvent];
  /** A device subscribed (its down/command listener is up). */
  subscribed: [Subscribed];
  /** An alert changed (fired, escalated, acknowledged, resolved), committed. */
  alert: [AlertChanged];
  /** A station was registered or changed. */
  stationChanged: [Station];
  /** A station was deleted. */
  stationRemoved: [Station];
}

export type PlatformEventName = keyof PlatformEventMap;
export type PlatformEvents = EventEmitter<PlatformEventMap>;

export function createPlatformEvents(): PlatformEvents {
  const events = new EventEmitter<PlatformEventMap>();
  // Consumers are a fixed list; live API streams (one listener each per open connection) come on top.
  events.setMaxListeners(0);
  return events;
}

/** Who listens to what: a name (for logs) and its handlers. */
export interface PlatformConsumer {
  readonly name: string;
  readonly on: { readonly [K in PlatformEventName]?: (...args: PlatformEventMap[K]) => void };
}

/** Registers every consumer's handlers; returns what unregisters them all. */
export function subscribeConsumers(events: PlatformEvents, consumers: readonly PlatformConsumer[], logger: Logger): () => void {
  const undo: Array<() => void> = [];
  for (const consumer of consumers) {
    for (const name of Object.keys(consumer.on) as PlatformEventName[]) {
      const handler = consumer.on[name] as ((...args: unknown[]) => void) | undefined;
      if (!handler) continue;
      const safe = (...args: unknown[]): void => {
        try {
          handler(...args);
        } catch (err) {
          logger.error({ err, consumer: consumer.name, event: name }, 'platform event consumer failed');
        }
      };
      (events as EventEmitter).on(name, safe);
      undo.push(() => (events as EventEmitter).off(name, safe));
    }
  }
  return () => {
    for (const u of undo.splice(0)) u();
  };
}
