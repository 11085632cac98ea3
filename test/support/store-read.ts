/**
 * Test support: waiting until platform nodes have read the rules and webhook subscriptions again
 * since a moment — a cluster's nodes each re-read them every storeReloadMs, and say when their
 * last read began (`shanshui_store_read_timestamp_seconds{what}` on /metrics). Nodes run on this
 * machine's clock, so a read begun after `sinceMs` holds every change stored before it.
 */
import { expect } from 'vitest';
import { metricValue } from './prometheus-text.ts';

export type StoreRead = 'rules' | 'subscriptions';

/** A node's `/metrics` text. */
export type MetricsOf = () => Promise<string>;

/** When the node began the read of `what` in force there (ms), if it says. */
export function storeReadAtMs(metricsText: string, what: StoreRead): number | undefined {
  const seconds = metricValue(metricsText, 'shanshui_store_read_timestamp_seconds', { what });
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

/** Resolves once every node has begun a read of each of `what` after `sinceMs`: what was stored before then is in force on all of them. */
export async function storeReadOnEveryNode(nodes: readonly MetricsOf[], sinceMs: number, what: readonly StoreRead[] = ['rules', 'subscriptions']): Promise<void> {
  for (const [i, metrics] of nodes.entries()) {
    await expect
      .poll(
        async () => {
          const text = await metrics();
          return what.filter((w) => (storeReadAtMs(text, w) ?? 0) <= sinceMs);
        },
        { timeout: 30_000, interval: 50, message: `node ${i + 1}: not read again since ${new Date(sinceMs).toISOString()}` },
      )
      .toEqual([]);
  }
}
