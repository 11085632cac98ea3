/** SubscriptionStore in SQL; definitions are validated again on load. */
import { randomBytes } from 'node:crypto';
import { SubscriptionInputSchema } from '../../webhooks/subscription-schema.ts';
import type { Subscription, SubscriptionInput } from '../../webhooks/subscription-schema.ts';
import type { SubscriptionStore } from '../../webhooks/subscription-store.ts';
import type { SqlClient } from './sql-client.ts';

interface Row {
  id: string;
  definition: string;
  created_at: string;
  updated_at: string;
}

const toSubscription = (r: Row): Subscription => ({ ...SubscriptionInputSchema.parse(JSON.parse(r.definition)), id: r.id, createdAt: r.created_at, updatedAt: r.updated_at });

export class SqlSubscriptionStore implements SubscriptionStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async all(): Promise<Subscription[]> {
    return (await this.#sql.all<Row>('SELECT id, definition, created_at, updated_at FROM webhook_subscriptions ORDER BY created_at, id')).map(toSubscription);
  }

  async get(id: string): Promise<Subscription | undefined> {
    const row = await this.#sql.get<Row>('SELECT id, definition, created_at, updated_at FROM webhook_subscriptions WHERE id = ?', [id]);
    return row ? toSubscription(row) : undefined;
  }

  async create(input: SubscriptionInput): Promise<Subscription> {
    const now = new Date().toISOString();
    const id = `sub-${randomBytes(6).toString('hex')}`;
    await this.#sql.run('INSERT INTO webhook_subscriptions (id, definition, created_at, updated_at) VALUES (?, ?, ?, ?)', [id, JSON.stringify(input), now, now]);
    return { ...input, id, createdAt: now, updatedAt: now };
  }

  async update(id: string, input: SubscriptionInput): Promise<Subscription | undefined> {
    const res = await this.#sql.run('UPDATE webhook_subscriptions SET definition = ?, updated_at = ? WHERE id = ?', [JSON.stringify(input), new Date().toISOString(), id]);
    return res.changes ? this.get(id) : undefined;
  }

  remove(id: string): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const n = (await tx.run('DELETE FROM webhook_subscriptions WHERE id = ?', [id])).changes;
      if (n) await tx.run('DELETE FROM webhook_outbox WHERE subscription_id = ?', [id]);
      return n > 0;
    });
  }
}
