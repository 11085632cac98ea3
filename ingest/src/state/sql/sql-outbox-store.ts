/** OutboxStore in SQL. Claims: PostgreSQL locks the head row FOR UPDATE SKIP LOCKED; SQLite has one writer. */
import type { Delivery, DeliveryState, OutboxClaim, OutboxFilter, OutboxInput, OutboxStore } from '../../webhooks/outbox-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

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
  claimed_until: number;
}

function rowToDelivery(r: Row): Delivery {
  return {
    id: Number(r.id),
    subscriptionId: r.subscription_id,
    idempotencyKey: r.idempotency_key,
    eventType: r.event_type,
    alertId: r.alert_id,
    contentType: r.content_type,
    body: r.body,
    state: r.state as DeliveryState,
    attempts: r.attempts,
    nextAttemptAt: Number(r.next_attempt_at),
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

/** Queues rows inside the caller's transaction (the alert change they report). */
export async function insertOutboxRows(tx: SqlClient, rows: readonly OutboxInput[], nowMs: number): Promise<void> {
  const now = new Date(nowMs).toISOString();
  for (const d of rows) {
    await tx.run(
      `INSERT INTO webhook_outbox (subscription_id, idempotency_key, event_type, alert_id, content_type, body, state, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (subscription_id, idempotency_key) DO NOTHING`,
      [d.subscriptionId, d.idempotencyKey, d.eventType, d.alertId, d.contentType, d.body, nowMs, now, now],
    );
  }
}

export class SqlOutboxStore implements OutboxStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  enqueue(rows: readonly OutboxInput[], nowMs: number): Promise<void> {
    return this.#sql.transaction((tx) => insertOutboxRows(tx, rows, nowMs));
  }

  claimHead(subscriptionId: string, nodeId: string, nowMs: number, leaseMs: number): Promise<OutboxClaim> {
    return this.#sql.transaction(async (tx) => {
      // The head only: a locked head makes SKIP LOCKED offer the second row, which NOT EXISTS refuses (order per receiver).
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      const head = await tx.get<Row>(
        `SELECT * FROM webhook_outbox o WHERE subscription_id = ? AND state = 'pending'
           AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.subscription_id = o.subscription_id AND p.state = 'pending' AND p.id < o.id)
         ORDER BY id LIMIT 1${lock}`,
        [subscriptionId],
      );
      if (!head) return {};
      const busyUntil = Number(head.claimed_until);
      if (busyUntil > nowMs) return { retryAt: busyUntil };
      const due = Number(head.next_attempt_at);
      if (due > nowMs) return { retryAt: due };
      await tx.run('UPDATE webhook_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?', [nodeId, nowMs + leaseMs, head.id]);
      return { delivery: rowToDelivery(head) };
    });
  }

  async get(id: number): Promise<Delivery | undefined> {
    const row = await this.#sql.get<Row>('SELECT * FROM webhook_outbox WHERE id = ?', [id]);
    return row ? rowToDelivery(row) : undefined;
  }

  async markDelivered(id: number, status: number, nowMs: number): Promise<void> {
    const now = new Date(nowMs).toISOString();
    await this.#sql.run(
      "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, updated_at = ?, delivered_at = ?, claimed_by = NULL, claimed_until = 0 WHERE id = ?",
      [status, now, now, id],
    );
  }

  async markFailed(id: number, status: number | null, error: string, nextAttemptAt: number, dead: boolean, nowMs: number): Promise<void> {
    await this.#sql.run(
      'UPDATE webhook_outbox SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?, claimed_by = NULL, claimed_until = 0 WHERE id = ?',
      [dead ? 'dead' : 'pending', status, error.slice(0, 1000), nextAttemptAt, new Date(nowMs).toISOString(), id],
    );
  }

  async release(id: number, nodeId: string): Promise<void> {
    await this.#sql.run('UPDATE webhook_outbox SET claimed_by = NULL, claimed_until = 0 WHERE id = ? AND claimed_by = ?', [id, nodeId]);
  }

  async redeliver(id: number, nowMs: number): Promise<Delivery | undefined> {
    await this.#sql.run("UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, claimed_by = NULL, claimed_until = 0 WHERE id = ?", [
      nowMs,
      new Date(nowMs).toISOString(),
      id,
    ]);
    return this.get(id);
  }

  async list(f: OutboxFilter): Promise<{ items: Delivery[]; total: number }> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (f.subscriptionIds) {
      where.push(`subscription_id IN (${placeholders(f.subscriptionIds.length)})`);
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
    const total = (await this.#sql.get<{ n: number }>(`SELECT count(*) AS n FROM webhook_outbox ${clause}`, args))!.n;
    const page = f.beforeId ? `${clause ? `${clause} AND` : 'WHERE'} id < ?` : clause;
    const rows = await this.#sql.all<Row>(`SELECT * FROM webhook_outbox ${page} ORDER BY id DESC LIMIT ?`, [...args, ...(f.beforeId ? [f.beforeId] : []), f.limit]);
    return { items: rows.map(rowToDelivery), total };
  }

  async depth(): Promise<{ pending: number; dead: number }> {
    const rows = await this.#sql.all<{ state: string; n: number }>("SELECT state, count(*) AS n FROM webhook_outbox WHERE state IN ('pending', 'dead') GROUP BY state");
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, dead: rows.find((r) => r.state === 'dead')?.n ?? 0 };
  }
}
