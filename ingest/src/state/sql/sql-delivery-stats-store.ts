/** DeliveryStatsStore in SQL: one upsert per changed device, in one transaction. */
import type { SequenceStats } from '../../accept/sequence-tracker.ts';
import type { DeliveryStatsStore } from '../delivery-stats-store.ts';
import type { SqlClient } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

export class SqlDeliveryStatsStore implements DeliveryStatsStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async save(stats: ReadonlyMap<string, SequenceStats>): Promise<void> {
    if (stats.size === 0) return;
    const now = new Date().toISOString();
    // In device id order on every node: two nodes saving the same devices (one left, one took over) never deadlock.
    const ordered = [...stats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.#sql.transaction(async (tx) => {
      for (const [id, s] of ordered) {
        await tx.run(
          'INSERT INTO delivery_stats (device_id, stats, updated_at) VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET stats = excluded.stats, updated_at = excluded.updated_at',
          [id, JSON.stringify(s), now],
        );
      }
    });
  }

  async load(): Promise<Map<string, SequenceStats>> {
    const rows = await this.#sql.all<{ device_id: string; stats: string }>('SELECT device_id, stats FROM delivery_stats');
    return new Map(rows.map((r) => [r.device_id, JSON.parse(r.stats) as SequenceStats]));
  }

  async get(deviceIds: readonly string[]): Promise<Map<string, SequenceStats>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.#sql.all<{ device_id: string; stats: string }>(`SELECT device_id, stats FROM delivery_stats WHERE device_id IN (${placeholders(deviceIds.length)})`, deviceIds);
    return new Map(rows.map((r) => [r.device_id, JSON.parse(r.stats) as SequenceStats]));
  }

  async savedSince(since: string | undefined): Promise<{ stats: Map<string, SequenceStats>; latest: string | undefined }> {
    const rows = await this.#sql.all<{ device_id: string; stats: string; updated_at: string }>(
      since === undefined ? 'SELECT device_id, stats, updated_at FROM delivery_stats' : 'SELECT device_id, stats, updated_at FROM delivery_stats WHERE updated_at >= ?',
      since === undefined ? [] : [since],
    );
    let latest = since;
    for (const r of rows) if (latest === undefined || r.updated_at > latest) latest = r.updated_at;
    return { stats: new Map(rows.map((r) => [r.device_id, JSON.parse(r.stats) as SequenceStats])), latest };
  }
}
