/**
 * The webhook subscriptions in memory: read on every alert change (inside its transaction) and
 * by the delivery worker, without a query each time. Refreshed after each change made here and
 * every `refreshMs`, so a change made through another node reaches this one within that time.
 */
import type { Logger } from 'pino';
import type { Subscription } from './subscription-schema.ts';
import type { SubscriptionStore } from './subscription-store.ts';

export class SubscriptionCache {
  readonly #store: SubscriptionStore;
  readonly #logger: Logger;
  #current: readonly Subscription[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: SubscriptionStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Loads the subscriptions, then keeps them fresh every `refreshMs`. */
  async start(refreshMs: number): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.#logger.warn({ err }, 'webhook subscriptions not refreshed'));
    }, refreshMs);
    this.#timer.unref();
  }

  current(): readonly Subscription[] {
    return this.#current;
  }

  async refresh(): Promise<void> {
    this.#current = await this.#store.all();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
