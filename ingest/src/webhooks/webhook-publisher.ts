/** Turns one alert event into one outbox row per matching subscription (queued in the alert's own transaction). */
import type { Station } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { OutboxInput } from './outbox-store.ts';
import type { Subscription } from './subscription-schema.ts';
import { subscriptionMatches } from './subscription-matches.ts';
import { toWebhookEvent } from './webhook-event.ts';
import { toCapXml } from './cap-xml.ts';

export class WebhookPublisher {
  readonly #subscriptions: () => readonly Subscription[];

  /** `subscriptions`: the current subscriptions (a cache: read inside the alert's transaction, never awaited). */
  constructor(subscriptions: () => readonly Subscription[]) {
    this.#subscriptions = subscriptions;
  }

  deliveriesFor(alert: Alert, event: AlertEvent, station: Station | undefined): OutboxInput[] {
    const rows: OutboxInput[] = [];
    let json: string | undefined;
    let cap: string | undefined;
    for (const sub of this.#subscriptions()) {
      if (!subscriptionMatches(sub, alert, event)) continue;
      const payload = toWebhookEvent(alert, event, station);
      const body = sub.format === 'cap' ? (cap ??= toCapXml(payload)) : (json ??= JSON.stringify(payload));
      rows.push({
        subscriptionId: sub.id,
        idempotencyKey: event.id,
        eventType: `alert.${event.type}`,
        alertId: alert.id,
        contentType: sub.format === 'cap' ? 'application/cap+xml; charset=utf-8' : 'application/json; charset=utf-8',
        body,
      });
    }
    return rows;
  }
}
