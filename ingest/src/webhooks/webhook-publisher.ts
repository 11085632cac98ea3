/** Turns one alert event into one outbox row per matching subscription (call inside the alert's transaction). */
import type { Station } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SubscriptionStore } from './subscription-store.ts';
import { subscriptionMatches } from './subscription-matches.ts';
import { toWebhookEvent } from './webhook-event.ts';
import { toCapXml } from './cap-xml.ts';

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
      this.#outbox.enqueue(
        {
          subscriptionId: sub.id,
          idempotencyKey: event.id,
          eventType: `alert.${event.type}`,
          alertId: alert.id,
          contentType: sub.format === 'cap' ? 'application/cap+xml; charset=utf-8' : 'application/json; charset=utf-8',
          body,
        },
        nowMs,
      );
      n++;
    }
    return n;
  }
}
