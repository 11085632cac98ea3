/** Turns one alert event into one outbox row per matching subscription (queued in the alert's own transaction). */
import type { Station } from '@shanshui/models';
import type { Alert, AlertEvent } from '../alerts/alert.ts';
import type { OutboxInput } from './outbox-store.ts';
import { subscriptionMatches } from './subscription-matches.ts';
import { toWebhookEvent } from './webhook-event.ts';
import { toCapXml } from './cap-xml.ts';
import { testEventCapXml, toWebhookTestEvent } from './webhook-test-event.ts';
import type { Subscription } from './subscription-schema.ts';

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

  /**
   * A new subscription's snapshot: each open alert it matches, as its latest event (same event
   * id, so a receiver that already has it deduplicates).
   */
  snapshotDeliveries(sub: Subscription, open: ReadonlyArray<{ alert: Alert; event: AlertEvent; station: Station | undefined }>): OutboxInput[] {
    return open
      .filter(({ alert, event }) => subscriptionMatches(sub, alert, event))
      .map(({ alert, event, station }) => {
        const payload = toWebhookEvent(alert, event, station);
        return row(sub, event.id, `alert.${event.type}`, alert.id, sub.format === 'cap' ? toCapXml(payload) : JSON.stringify(payload));
      });
  }

  /** A test event for one subscription (filters do not apply). */
  testDelivery(sub: Subscription, nowMs: number): { eventId: string; row: OutboxInput } {
    const payload = toWebhookTestEvent(sub, nowMs);
    return { eventId: payload.eventId, row: row(sub, payload.eventId, 'test', '', sub.format === 'cap' ? testEventCapXml(payload) : JSON.stringify(payload)) };
  }
}

function row(sub: Subscription, idempotencyKey: string, eventType: string, alertId: string, body: string): OutboxInput {
  return { subscriptionId: sub.id, idempotencyKey, eventType, alertId, contentType: sub.format === 'cap' ? 'application/cap+xml; charset=utf-8' : 'application/json; charset=utf-8', body };
}
