/**
 * Delivers the outbox. Each subscription is its own queue, one request in flight at a time and
 * in order, so a slow or dead receiver holds back only its own deliveries — never ingestion
 * (the publish path only writes rows and calls `kick()`) and never another receiver. Failed
 * attempts retry with exponential backoff and equal jitter (models' `backoffDelayMs`: half of
 * each delay fixed, half random) until the budget is spent, then the
 * row is `dead` (listed and redeliverable through the API). Several nodes share one outbox: a
 * node claims a subscription's head row for the length of an attempt (OutboxStore.claimHead),
 * so each event goes out once in the normal case. A crash mid-attempt leaves the row pending:
 * once its claim lapses it is sent again, by any node, with the same idempotency key (at least once).
 */
import type { Logger } from 'pino';
import { backoffDelayMs } from '@shanshui/models';
import { fetch } from 'undici';
import type { Dispatcher } from 'undici';
import type { Counter } from 'prom-client';
import type { OutboxStore, Delivery } from './outbox-store.ts';
import type { Subscription } from './subscription-schema.ts';
import { signWebhook } from './webhook-signer.ts';
import { z } from 'zod';
import { parseComponentOptions } from '../component-options.ts';

export const DeliveryWorkerOptionsSchema = z
  .object({
    /** Time allowed for one request (connect to answer), ms. Default 5000. */
    timeoutMs: z.number().int().min(1).default(5000),
    /** Attempts before a delivery is dead. Default 15 (about an hour with the default backoff). */
    maxAttempts: z.number().int().min(1).max(100).default(15),
    /** Backoff after the first failure, ms; doubles per attempt. Default 1000. */
    backoffBaseMs: z.number().int().min(1).default(1000),
    /** Longest backoff, ms. Default 600000 (10 min). */
    backoffMaxMs: z.number().int().min(1).default(600_000),
    /** Safety poll of the queues, ms (kicks do the real work; other nodes' rows are found by it). Default 1000. */
    pollMs: z.number().int().min(1).default(1000),
    /** How long a claimed row stays this node's beyond the request timeout, ms. Default 30000. */
    claimMarginMs: z.number().int().min(0).default(30_000),
  })
  .strict();
export type DeliveryWorkerOptions = z.output<typeof DeliveryWorkerOptionsSchema>;

export const DELIVERY_WORKER_DEFAULTS: DeliveryWorkerOptions = DeliveryWorkerOptionsSchema.parse({});

export interface DeliveryMetrics {
  readonly webhookDeliveries: Counter<'result'>;
}

export class DeliveryWorker {
  readonly #outbox: OutboxStore;
  readonly #subscriptions: () => readonly Subscription[];
  readonly #nodeId: string;
  readonly #logger: Logger;
  readonly #metrics: DeliveryMetrics;
  readonly #o: DeliveryWorkerOptions;
  readonly #dispatcher: Dispatcher;
  readonly #busy = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #wake: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #scheduled = false;
  #pumping: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  /**
   * `dispatcher`: where connections are made — the guarded one (guarded-dispatcher.ts), which
   * refuses forbidden addresses at connect time. Required: without it fetch would use undici's
   * unguarded default, and a call site that forgot it would open the SSRF hole again.
   */
  constructor(
    deps: { outbox: OutboxStore; subscriptions: () => readonly Subscription[]; nodeId: string; logger: Logger; metrics: DeliveryMetrics; dispatcher: Dispatcher },
    options: Partial<DeliveryWorkerOptions> = {},
  ) {
    this.#dispatcher = deps.dispatcher;
    this.#outbox = deps.outbox;
    this.#subscriptions = deps.subscriptions;
    this.#nodeId = deps.nodeId;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#o = parseComponentOptions('DeliveryWorker', DeliveryWorkerOptionsSchema, options);
  }

  start(): void {
    this.#poll = setInterval(() => this.kick(), this.#o.pollMs);
    this.#poll.unref();
    this.kick();
  }

  /**
   * Looks at the queues soon — never synchronously (callers are on the ingest path), but in
   * process.nextTick, ahead of the rest of this turn's I/O callbacks: a warning committed in
   * the poll phase then starts its request there, and undici writes a request on a reused
   * keep-alive socket only after a setImmediate of its own (it first checks the idle socket):
   * asked in the poll phase, that is this turn's check phase. Kicked with setImmediate instead,
   * the claim ran in the check phase and undici's setImmediate waited a whole further turn of
   * the event loop — under load, milliseconds of every warning's latency.
   */
  kick(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      if (this.#pumping) {
        this.#again = true;
        return;
      }
      this.#pumping = this.#pump()
        .catch((err: unknown) => this.#logger.error({ err }, 'webhook pump failed'))
        .finally(() => {
          this.#pumping = undefined;
          if (this.#again) {
            this.#again = false;
            this.kick();
          }
        });
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#wake);
    this.#abort.abort();
    await this.#pumping;
    await Promise.allSettled([...this.#busy.values()]);
  }

  async #pump(): Promise<void> {
    let nextWake = Infinity;
    for (const sub of this.#subscriptions()) {
      if (this.#stopped) return;
      if (!sub.enabled || this.#busy.has(sub.id)) continue;
      const claim = await this.#outbox.claimHead(sub.id, this.#nodeId, Date.now(), this.#o.timeoutMs + this.#o.claimMarginMs);
      const head = claim.delivery;
      if (!head) {
        if (claim.retryAt !== undefined) nextWake = Math.min(nextWake, claim.retryAt);
        continue;
      }
      const p = this.#deliver(sub, head)
        .catch((err: unknown) => this.#logger.error({ err, deliveryId: head.id }, 'webhook delivery bookkeeping failed'))
        .finally(() => {
          this.#busy.delete(sub.id);
          this.kick();
        });
      this.#busy.set(sub.id, p);
    }
    if (nextWake !== Infinity) {
      clearTimeout(this.#wake);
      this.#wake = setTimeout(() => this.kick(), Math.max(0, nextWake - Date.now()));
    }
  }

  async #deliver(sub: Subscription, d: Delivery): Promise<void> {
    const log = this.#logger.child({ deliveryId: d.id, subscriptionId: sub.id, idempotencyKey: d.idempotencyKey });
    let status: number | null = null;
    let error: string;
    try {
      const res = await fetch(sub.url, {
        method: 'POST',
        body: d.body,
        // Never followed: a 3xx is a failed attempt (a redirect could point anywhere).
        redirect: 'manual',
        dispatcher: this.#dispatcher,
        signal: AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs), this.#abort.signal]),
        headers: {
          'content-type': d.contentType,
          'user-agent': 'shanshui-webhooks/1',
          'x-shanshui-signature': signWebhook(sub.signature, sub.secret, d.body),
          'x-shanshui-signature-alg': sub.signature,
          'x-shanshui-idempotency-key': d.idempotencyKey,
          'x-shanshui-event': d.eventType,
          'x-shanshui-delivery': String(d.id),
          'x-shanshui-attempt': String(d.attempts + 1),
        },
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await this.#outbox.markDelivered(d.id, res.status, Date.now());
        this.#metrics.webhookDeliveries.inc({ result: 'ok' });
        log.debug({ status }, 'webhook delivered');
        return;
      }
      error = `receiver answered ${res.status}`;
    } catch (err) {
      if (this.#stopped) {
        // Stopping: the row stays pending and goes out after the restart (or from another node now).
        await this.#outbox.release(d.id, this.#nodeId);
        return;
      }
      error = err instanceof Error ? `${err.name}: ${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}` : String(err);
    }
    const attempt = d.attempts + 1;
    const dead = attempt >= this.#o.maxAttempts;
    const now = Date.now();
    await this.#outbox.markFailed(d.id, status, error, dead ? now : now + backoffDelayMs(attempt - 1, { minMs: this.#o.backoffBaseMs, maxMs: this.#o.backoffMaxMs }), dead, now);
    this.#metrics.webhookDeliveries.inc({ result: dead ? 'dead' : 'failed' });
    if (dead) log.warn({ status, error, attempts: attempt }, 'webhook delivery dead after its retry budget');
    else log.info({ status, error, attempt }, 'webhook delivery failed; will retry');
  }
}
