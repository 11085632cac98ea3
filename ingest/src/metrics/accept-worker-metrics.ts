/**
 * The accept worker pool (accept/accept-worker-pool.ts) on /metrics, read from its own counts
 * when scraped: how many threads, the messages they answered and in how many batches (the
 * hand-off's cost is per batch), the workers restarted after they died, and the messages done
 * on the main thread instead (a batch workers kept dying under, or threads that would not start).
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { AcceptWorkerPoolStats } from '../accept/accept-worker-pool.ts';
import { scrapedCounter } from './tally-counter.ts';

const NONE: AcceptWorkerPoolStats = { messages: 0, batches: 0, restarts: 0, inline: 0 };

/** `pool` undefined: workers are off (`SHANSHUI_ACCEPT_WORKERS` 0), the gauge says 0 and the counters stay at 0. */
export function registerAcceptWorkerMetrics(registry: Registry, pool: { readonly size: number; readonly stats: AcceptWorkerPoolStats } | undefined): void {
  new Gauge({ name: 'shanshui_accept_workers', help: 'Accept worker threads (decode, validate, format readings); 0: on the main thread', registers: [registry] }).set(pool?.size ?? 0);
  const counter = (name: string, help: string, of: (s: AcceptWorkerPoolStats) => number): void => scrapedCounter({ name, help, registry }, () => of(pool?.stats ?? NONE));
  counter('shanshui_accept_worker_messages_total', 'Readings messages answered by an accept worker thread', (s) => s.messages);
  counter('shanshui_accept_worker_batches_total', 'Batches handed to accept worker threads (one postMessage each; again after a restart)', (s) => s.batches);
  counter('shanshui_accept_worker_restarts_total', 'Accept worker threads restarted after they died (their unanswered messages were redone)', (s) => s.restarts);
  counter('shanshui_accept_worker_inline_total', 'Readings messages accepted on the main thread instead of a worker (workers kept dying, or would not start)', (s) => s.inline);
}
