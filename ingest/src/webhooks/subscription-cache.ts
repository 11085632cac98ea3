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
  #readAtMs: number | undefined;
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

  /**
   * When the read of the subscriptions in use here began (wall clock, ms; undefined before the
   * first): every change stored before that time is in use on this node.
   */
  get readAtMs(): number | undefined {
    return this.#readAtMs;
  }

  /** Reads the subscriptions again; of two reads that overlap, the one begun later wins. */
  async refresh(): Promise<void> {
    const readAtMs = Date.now();
    const current = await this.#store.all();
    if (this.#readAtMs !== undefined && readAtMs < this.#readAtMs) return;
    this.#current = current;
    this.#readAtMs = readAtMs;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
