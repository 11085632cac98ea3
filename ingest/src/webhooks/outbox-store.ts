/**
 * The durable webhook outbox: one row per (subscription, event), unique by idempotency key,
 * written in the same transaction as the alert change it reports. A row is `pending`
 * until a 2xx answer makes it `delivered`, or the retry budget makes it `dead`.
 */
export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface Delivery {
  readonly id: number;
  readonly subscriptionId: string;
  readonly idempotencyKey: string;
  readonly eventType: string;
  readonly alertId: string;
  readonly contentType: string;
  readonly body: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** Epoch ms of the next attempt (pending rows). */
  readonly nextAttemptAt: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveredAt: string | null;
}

/** A row to queue: one event for one subscription. */
export interface OutboxInput {
  readonly subscriptionId: string;
  readonly idempotencyKey: string;
  readonly eventType: string;
  readonly alertId: string;
  readonly contentType: string;
  readonly body: string;
}

export interface OutboxFilter {
  readonly state?: DeliveryState;
  readonly subscriptionId?: string;
  /** Only these subscriptions (a token's scope). */
  readonly subscriptionIds?: readonly string[];
  readonly alertId?: string;
  readonly limit: number;
  readonly beforeId?: number;
}

/** What claiming a subscription's head found: a delivery now this node's to send, or when to look again. */
export type OutboxClaim = { readonly delivery: Delivery } | { readonly delivery?: undefined; readonly retryAt?: number };

export interface OutboxStore {
  /** Adds pending rows; a second enqueue of the same (subscription, key) is ignored. */
  enqueue(rows: readonly OutboxInput[], nowMs: number): Promise<void>;
  /**
   * Claims the oldest pending row of a subscription (deliveries to one receiver go in order) if
   * it is due and no node holds it, for `leaseMs`: this node sends it; others leave it alone
   * until the claim lapses (a node that dies mid-attempt: it goes out again, same key).
   * PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the single writer's transaction.
   */
  claimHead(subscriptionId: string, nodeId: string, nowMs: number, leaseMs: number): Promise<OutboxClaim>;
  get(id: number): Promise<Delivery | undefined>;
  markDelivered(id: number, status: number, nowMs: number): Promise<void>;
  /** Records a failed attempt: retried at `nextAttemptAt`, or dead when `dead`. */
  markFailed(id: number, status: number | null, error: string, nextAttemptAt: number, dead: boolean, nowMs: number): Promise<void>;
  /** Gives a claim back without an attempt (the node is stopping). */
  release(id: number, nodeId: string): Promise<void>;
  /** Puts a dead (or delivered) row back in the queue with a fresh retry budget. */
  redeliver(id: number, nowMs: number): Promise<Delivery | undefined>;
  /** Newest first. */
  list(f: OutboxFilter): Promise<{ items: Delivery[]; total: number }>;
  depth(): Promise<{ pending: number; dead: number }>;
}
