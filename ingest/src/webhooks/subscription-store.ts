/** Webhook subscriptions (receivers of alert events, with their filters and signing secrets). */
import type { Subscription, SubscriptionInput } from './subscription-schema.ts';

export interface SubscriptionStore {
  /** Oldest first. */
  all(): Promise<Subscription[]>;
  get(id: string): Promise<Subscription | undefined>;
  create(input: SubscriptionInput): Promise<Subscription>;
  update(id: string, input: SubscriptionInput): Promise<Subscription | undefined>;
  /** Deletes the subscription and its undelivered outbox rows. */
  remove(id: string): Promise<boolean>;
}
