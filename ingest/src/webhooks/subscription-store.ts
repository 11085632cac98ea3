/** Webhook subscriptions in SQLite, cached in memory (read on every alert change). */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { SubscriptionInputSchema } from './subscription-schema.ts';
import type { Subscription, SubscriptionInput } from './subscription-schema.ts';
import { inTransaction } from '../state/in-transaction.ts';

export class SubscriptionStore {
  readonly #db: DatabaseSync;
  #cache: Subscription[] | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec('CREATE TABLE IF NOT EXISTS webhook_subscriptions (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)');
  }

  all(): readonly Subscription[] {
    if (!this.#cache) {
      const rows = this.#db.prepare('SELECT * FROM webhook_subscriptions ORDER BY created_at, id').all() as Array<{ id: string; definition: string; created_at: string; updated_at: string }>;
      this.#cache = rows.map((r) => ({ ...SubscriptionInputSchema.parse(JSON.parse(r.definition)), id: r.id, createdAt: r.created_at, updatedAt: r.updated_at }));
    }
    return this.#cache;
  }

  get(id: string): Subscription | undefined {
    return this.all().find((s) => s.id === id);
  }

  create(input: SubscriptionInput): Subscription {
    const now = new Date().toISOString();
    const id = `sub-${randomBytes(6).toString('hex')}`;
    this.#db.prepare('INSERT INTO webhook_subscriptions (id, definition, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, JSON.stringify(input), now, now);
    this.#cache = undefined;
    return { ...input, id, createdAt: now, updatedAt: now };
  }

  update(id: string, input: SubscriptionInput): Subscription | undefined {
    const now = new Date().toISOString();
    const changed = Number(this.#db.prepare('UPDATE webhook_subscriptions SET definition = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(input), now, id).changes);
    this.#cache = undefined;
    return changed ? this.get(id) : undefined;
  }

  /** Deletes the subscription and its undelivered outbox rows. */
  remove(id: string): boolean {
    const removed = inTransaction(this.#db, () => {
      const n = Number(this.#db.prepare('DELETE FROM webhook_subscriptions WHERE id = ?').run(id).changes);
      if (n) this.#db.prepare('DELETE FROM webhook_outbox WHERE subscription_id = ?').run(id);
      return n > 0;
    });
    this.#cache = undefined;
    return removed;
  }
}
