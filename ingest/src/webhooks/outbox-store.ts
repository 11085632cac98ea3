/**
 * The durable webhook outbox: one row per (subscription, event), unique by idempotency key,
 * written in the same SQLite transaction as the alert change it reports. A row is `pending`
 * until a 2xx answer makes it `delivered`, or the retry budget makes it `dead`.
 */
import type { DatabaseSync } from 'node:sqlite';

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

interface Row {
  id: number;
  subscription_id: string;
  idempotency_key: string;
  event_type: string;
  alert_id: string;
  content_type: string;
  body: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

function rowToDelivery(r: Row): Delivery {
  return {
    id: r.id,
    subscriptionId: r.subscription_id,
    idempotencyKey: r.idempotency_key,
    eventType: r.event_type,
    alertId: r.alert_id,
    contentType: r.content_type,
    body: r.body,
    state: r.state as DeliveryState,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

export class OutboxStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS webhook_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, event_type TEXT NOT NULL,
        alert_id TEXT NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, delivered_at TEXT,
        UNIQUE (subscription_id, idempotency_key)
      );
      CREATE INDEX IF NOT EXISTS webhook_outbox_queue ON webhook_outbox(subscription_id, state, id);
      CREATE INDEX IF NOT EXISTS webhook_outbox_state ON webhook_outbox(state, id);
    `);
  }

  /** Adds a pending row; a second enqueue of the same (subscription, key) is ignored. */
  enqueue(d: { subscriptionId: string; idempotencyKey: string; eventType: string; alertId: string; contentType: string; body: string }, nowMs: number): void {
    const now = new Date(nowMs).toISOString();
    this.#db
      .prepare(
        `INSERT OR IGNORE INTO webhook_outbox (subscription_id, idempotency_key, event_type, alert_id, content_type, body, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      )
      .run(d.subscriptionId, d.idempotencyKey, d.eventType, d.alertId, d.contentType, d.body, nowMs, now, now);
  }

  /** The oldest pending row of a subscription: deliveries to one receiver go in order. */
  headOf(subscriptionId: string): Delivery | undefined {
    const row = this.#db.prepare("SELECT * FROM webhook_outbox WHERE subscription_id = ? AND state = 'pending' ORDER BY id LIMIT 1").get(subscriptionId) as Row | undefined;
    return row ? rowToDelivery(row) : undefined;
  }

  get(id: number): Delivery | undefined {
    const row = this.#db.prepare('SELECT * FROM webhook_outbox WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToDelivery(row) : undefined;
  }

  markDelivered(id: number, status: number, nowMs: number): void {
    const now = new Date(nowMs).toISOString();
    this.#db.prepare("UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, updated_at = ?, delivered_at = ? WHERE id = ?").run(status, now, now, id);
  }

  /** Records a failed attempt: retried at `nextAttemptAt`, or dead when `dead`. */
  markFailed(id: number, status: number | null, error: string, nextAttemptAt: number, dead: boolean, nowMs: number): void {
    this.#db
      .prepare('UPDATE webhook_outbox SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?')
      .run(dead ? 'dead' : 'pending', status, error.slice(0, 1000), nextAttemptAt, new Date(nowMs).toISOString(), id);
  }

  /** Puts a dead (or delivered) row back in the queue with a fresh retry budget. */
  redeliver(id: number, nowMs: number): Delivery | undefined {
    this.#db.prepare("UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ?").run(nowMs, new Date(nowMs).toISOString(), id);
    return this.get(id);
  }

  /** Newest first; `subscriptionIds` limits to those subscriptions (a token's scope). */
  list(f: { state?: DeliveryState; subscriptionId?: string; subscriptionIds?: readonly string[]; alertId?: string; limit: number; beforeId?: number }): { items: Delivery[]; total: number } {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.subscriptionIds) {
      where.push(`subscription_id IN (${f.subscriptionIds.map(() => '?').join(', ') || "''"})`);
      args.push(...f.subscriptionIds);
    }
    if (f.state) {
      where.push('state = ?');
      args.push(f.state);
    }
    if (f.subscriptionId) {
      where.push('subscription_id = ?');
      args.push(f.subscriptionId);
    }
    if (f.alertId) {
      where.push('alert_id = ?');
      args.push(f.alertId);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.#db.prepare(`SELECT count(*) AS n FROM webhook_outbox ${clause}`).get(...args) as { n: number }).n;
    const page = f.beforeId ? `${clause ? `${clause} AND` : 'WHERE'} id < ?` : clause;
    const rows = this.#db.prepare(`SELECT * FROM webhook_outbox ${page} ORDER BY id DESC LIMIT ?`).all(...args, ...(f.beforeId ? [f.beforeId] : []), f.limit) as unknown as Row[];
    return { items: rows.map(rowToDelivery), total };
  }

  depth(): { pending: number; dead: number } {
    const rows = this.#db.prepare("SELECT state, count(*) AS n FROM webhook_outbox WHERE state IN ('pending', 'dead') GROUP BY state").all() as Array<{ state: string; n: number }>;
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, dead: rows.find((r) => r.state === 'dead')?.n ?? 0 };
  }
}
