/** Turns one alert event into one outbox row per matching subscription (call inside the alert's transaction). */
import type { Station } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SubscriptionStore } from './subscription-store.ts';
import { subscriptionMatches } from './subscription-matches.ts';
import { toWebhookEvent } from './webhook-event.ts';
import { toCapXml } from './cap-xml.ts';
import { testEventCapXml, toWebhookTestEvent } from './webhook-test-event.ts';
import type { Subscription } from './subscription-schema.ts';

export class WebhookPublisher {
  readonly #outbox: OutboxStore;
  readonly #subscriptions: SubscriptionStore;

  constructor(outbox: OutboxStore, subscriptions: SubscriptionStore) {
    this.#outbox = outbox;
    this.#subscriptions = subscriptions;
  }

  /** Returns how many rows were queued. */
  publish(alert: Alert, event: AlertEvent, station: Station | undefined, nowMs: number): number {
    let n = 0;
    let json: string | undefined;
    let cap: string | undefined;
    for (const sub of this.#subscriptions.all()) {
      if (!subscriptionMatches(sub, alert, event)) continue;
      const payload = toWebhookEvent(alert, event, station);
      const body = sub.format === 'cap' ? (cap ??= toCapXml(payload)) : (json ??= JSON.stringify(payload));
      this.#enqueue(sub, event.id, `alert.${event.type}`, alert.id, body, nowMs);
      n++;
    }
    return n;
  }

  /**
   * A new subscription's snapshot: each open alert it matches, as its latest event (same event
   * id, so a receiver that already has it deduplicates). Returns how many were queued.
   */
  publishSnapshot(sub: Subscription, open: ReadonlyArray<{ alert: Alert; event: AlertEvent; station: Station | undefined }>, nowMs: number): number {
    let n = 0;
    for (const { alert, event, station } of open) {
      if (!subscriptionMatches(sub, alert, event)) continue;
      const payload = toWebhookEvent(alert, event, station);
      this.#enqueue(sub, event.id, `alert.${event.type}`, alert.id, sub.format === 'cap' ? toCapXml(payload) : JSON.stringify(payload), nowMs);
      n++;
    }
    return n;
  }

  /** A test event for one subscription (filters do not apply); returns its event id. */
  publishTest(sub: Subscription, nowMs: number): string {
    const payload = toWebhookTestEvent(sub, nowMs);
    this.#enqueue(sub, payload.eventId, 'test', '', sub.format === 'cap' ? testEventCapXml(payload) : JSON.stringify(payload), nowMs);
    return payload.eventId;
  }

  #enqueue(sub: Subscription, idempotencyKey: string, eventType: string, alertId: string, body: string, nowMs: number): void {
    this.#outbox.enqueue(
      {
        subscriptionId: sub.id,
        idempotencyKey,
        eventType,
        alertId,
        contentType: sub.format === 'cap' ? 'application/cap+xml; charset=utf-8' : 'application/json; charset=utf-8',
        body,
      },
      nowMs,
    );
  }
}
