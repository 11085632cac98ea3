/** DeliveryStatsStore in SQL: one upsert per changed device (single node) or stay (cluster), in one transaction. */
import type { SequenceStats } from '../../accept/sequence-tracker.ts';
import type { DeliveryStatsStore, DeliveryStay } from '../delivery-stats-store.ts';
import { byStart, foldStays } from '../delivery-stats-store.ts';
import type { SqlClient } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

interface StayRow {
  device_id: string;
  stay_id: string;
  node_id: string;
  started_at: number | string;
  first_seq: number | string | null;
  stats: string;
  final: number;
  updated_at: string;
}

const STAY_COLUMNS = 'device_id, stay_id, node_id, started_at, first_seq, stats, final, updated_at';

function stayOf(r: StayRow): DeliveryStay {
  const stats = JSON.parse(r.stats) as SequenceStats;
  // Statistics carried over from before stays (migration 8) join on at their last number.
  return { deviceId: r.device_id, stayId: r.stay_id, nodeId: r.node_id, startedAt: Number(r.started_at), firstSeq: r.first_seq === null ? stats.lastSeq : Number(r.first_seq), stats, final: r.final === 1 };
}

function byDevice(rows: readonly StayRow[]): Map<string, DeliveryStay[]> {
  const out = new Map<string, DeliveryStay[]>();
  for (const r of rows) {
    const list = out.get(r.device_id) ?? [];
    list.push(stayOf(r));
    out.set(r.device_id, list);
  }
  for (const list of out.values()) list.sort(byStart);
  return out;
}

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

  async saveStays(stays: readonly DeliveryStay[]): Promise<void> {
    if (stays.length === 0) return;
    const now = new Date().toISOString();
    // Devices one of whose stays ends are folded (and locked first, see #lock). An open stay needs no lock: only its node
    // writes it, and folding never touches it.
    const ending = [...new Set(stays.filter((s) => s.final).map((s) => s.deviceId))];
    await this.#sql.transaction(async (tx) => {
      await this.#lock(tx, ending);
      for (const s of stays) {
        await tx.run(
          `INSERT INTO delivery_stays (${STAY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (device_id, stay_id) DO UPDATE SET first_seq = excluded.first_seq, stats = excluded.stats, final = excluded.final, updated_at = excluded.updated_at
           WHERE delivery_stays.final = 0`,
          [s.deviceId, s.stayId, s.nodeId, s.startedAt, s.firstSeq, JSON.stringify(s.stats), s.final ? 1 : 0, now],
        );
      }
      await this.#foldComplete(tx, ending, now);
    });
  }

  /**
   * PostgreSQL: these devices' stays have one writer at a time, until the transaction ends — all
   * locks in one statement, in one order on every node, so two nodes never deadlock (SQLite has one
   * writer anyway).
   */
  async #lock(tx: SqlClient, deviceIds: readonly string[]): Promise<void> {
    if (tx.dialect !== 'postgres' || deviceIds.length === 0) return;
    // A volatile function in the select list runs after the sort: the locks are taken in `k` order.
    await tx.all(`SELECT pg_advisory_xact_lock(hashtext('delivery_stays:' || k)) FROM (VALUES ${deviceIds.map(() => '(?)').join(', ')}) AS v(k) ORDER BY k`, deviceIds);
  }

  /** The complete stays at the start of each device's history become one (the first's row): a device that moves often keeps few rows. */
  async #foldComplete(tx: SqlClient, deviceIds: readonly string[], now: string): Promise<void> {
    if (deviceIds.length === 0) return;
    const rows = await tx.all<StayRow>(`SELECT ${STAY_COLUMNS} FROM delivery_stays WHERE device_id IN (${placeholders(deviceIds.length)})`, deviceIds);
    for (const [deviceId, list] of byDevice(rows)) {
      const open = list.findIndex((s) => !s.final);
      const complete = open === -1 ? list : list.slice(0, open);
      if (complete.length < 2) continue;
      const folded = foldStays(complete)!;
      const [first, ...rest] = complete;
      await tx.run(`DELETE FROM delivery_stays WHERE device_id = ? AND stay_id IN (${placeholders(rest.length)})`, [deviceId, ...rest.map((x) => x.stayId)]);
      await tx.run('UPDATE delivery_stays SET stats = ?, first_seq = ?, updated_at = ? WHERE device_id = ? AND stay_id = ?', [JSON.stringify(folded.stats), folded.firstSeq, now, deviceId, first!.stayId]);
    }
  }

  async staysOf(deviceIds: readonly string[]): Promise<Map<string, DeliveryStay[]>> {
    if (deviceIds.length === 0) return new Map();
    return byDevice(await this.#sql.all<StayRow>(`SELECT ${STAY_COLUMNS} FROM delivery_stays WHERE device_id IN (${placeholders(deviceIds.length)})`, deviceIds));
  }

  async staysSince(since: string | undefined): Promise<{ stays: Map<string, DeliveryStay[]>; latest: string | undefined }> {
    const rows = await this.#sql.all<StayRow>(
      since === undefined
        ? `SELECT ${STAY_COLUMNS} FROM delivery_stays`
        : `SELECT ${STAY_COLUMNS} FROM delivery_stays WHERE device_id IN (SELECT device_id FROM delivery_stays WHERE updated_at >= ?)`,
      since === undefined ? [] : [since],
    );
    let latest = since;
    for (const r of rows) if (latest === undefined || r.updated_at > latest) latest = r.updated_at;
    return { stays: byDevice(rows), latest };
  }

  async endStaysOf(nodeId: string): Promise<void> {
    const now = new Date().toISOString();
    const open = await this.#sql.all<{ device_id: string }>('SELECT DISTINCT device_id FROM delivery_stays WHERE node_id = ? AND final = 0', [nodeId]);
    const devices = open.map((r) => r.device_id);
    if (devices.length === 0) return;
    await this.#sql.transaction(async (tx) => {
      await this.#lock(tx, devices);
      await tx.run('UPDATE delivery_stays SET final = 1, updated_at = ? WHERE node_id = ? AND final = 0', [now, nodeId]);
      await this.#foldComplete(tx, devices, now);
    });
  }
}
