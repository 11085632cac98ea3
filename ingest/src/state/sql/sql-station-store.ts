/** StationStore in SQL (SQLite or PostgreSQL). */
import type { Station, StationInput } from '@shanshui/models';
import type { StationFilter, StationStore } from '../station-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

interface StationRow {
  id: string;
  name: string;
  domain: string;
  lat: number;
  lon: number;
  region: string;
  department: string;
  attributes: string | null;
  gateway_id: string | null;
  profile: string | null;
  created_at: string;
}

const COLUMNS = 'id, name, domain, lat, lon, region, department, attributes, gateway_id, profile, created_at';

function rowToStation(r: StationRow): Station {
  return {
    id: r.id,
    name: r.name,
    domain: r.domain as Station['domain'],
    lat: r.lat,
    lon: r.lon,
    region: r.region,
    department: r.department,
    ...(r.attributes ? { attributes: JSON.parse(r.attributes) as Station['attributes'] } : {}),
    ...(r.gateway_id ? { gatewayId: r.gateway_id } : {}),
    ...(r.profile ? { profile: r.profile } : {}),
    createdAt: r.created_at,
  };
}

/** Records in the change feed that these stations were written (inside the writing transaction). */
async function changed(tx: SqlClient, ids: readonly string[]): Promise<void> {
  const at = new Date().toISOString();
  for (const id of ids) await tx.run('INSERT INTO station_changes (station_id, at) VALUES (?, ?)', [id, at]);
}

export class SqlStationStore implements StationStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async insert(input: StationInput, secretHash: string): Promise<Station> {
    const createdAt = new Date().toISOString();
    await this.#sql.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO stations (id, name, domain, lat, lon, region, department, attributes, created_at, secret_hash, gateway_id, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [input.id, input.name, input.domain, input.lat, input.lon, input.region, input.department, input.attributes ? JSON.stringify(input.attributes) : null, createdAt, secretHash, input.gatewayId ?? null, input.profile ?? null],
      );
      await changed(tx, [input.id]);
    });
    return { ...input, createdAt };
  }

  update(station: Station): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const res = await tx.run('UPDATE stations SET name = ?, lat = ?, lon = ?, region = ?, attributes = ?, gateway_id = ?, profile = ? WHERE id = ?', [
        station.name,
        station.lat,
        station.lon,
        station.region,
        station.attributes ? JSON.stringify(station.attributes) : null,
        station.gatewayId ?? null,
        station.profile ?? null,
        station.id,
      ]);
      if (res.changes > 0) await changed(tx, [station.id]);
      return res.changes > 0;
    });
  }

  detachChildren(gatewayId: string): Promise<number> {
    return this.#sql.transaction(async (tx) => {
      const children = await tx.all<{ id: string }>('SELECT id FROM stations WHERE gateway_id = ?', [gatewayId]);
      await tx.run('UPDATE stations SET gateway_id = NULL WHERE gateway_id = ?', [gatewayId]);
      await changed(tx, children.map((c) => c.id));
      return children.length;
    });
  }

  async changesSince(afterId: number | undefined): Promise<{ lastId: number; stationIds: string[] }> {
    if (afterId === undefined) return { lastId: Number((await this.#sql.get<{ id: number | null }>('SELECT max(id) AS id FROM station_changes'))?.id ?? 0), stationIds: [] };
    const rows = await this.#sql.all<{ id: number; station_id: string }>('SELECT id, station_id FROM station_changes WHERE id > ? ORDER BY id', [afterId]);
    return { lastId: rows.length ? Number(rows.at(-1)!.id) : afterId, stationIds: [...new Set(rows.map((r) => r.station_id))] };
  }

  async get(id: string): Promise<Station | undefined> {
    const row = await this.#sql.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE id = ?`, [id]);
    return row ? rowToStation(row) : undefined;
  }

  async all(): Promise<Station[]> {
    return (await this.#sql.all<StationRow>(`SELECT ${COLUMNS} FROM stations ORDER BY id`)).map(rowToStation);
  }

  async list(filter: StationFilter): Promise<{ items: Station[]; total: number }> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.domain !== undefined) {
      where.push('domain = ?');
      args.push(filter.domain);
    }
    if (filter.department !== undefined) {
      where.push('department = ?');
      args.push(filter.department);
    }
    if (filter.region !== undefined) {
      where.push('region LIKE ?');
      args.push(`${filter.region}%`);
    }
    if (filter.departments) {
      where.push(`department IN (${placeholders(filter.departments.length)})`);
      args.push(...filter.departments);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (await this.#sql.get<{ n: number }>(`SELECT count(*) AS n FROM stations ${clause}`, args))!.n;
    const rows = await this.#sql.all<StationRow>(`SELECT ${COLUMNS} FROM stations ${clause} ORDER BY id LIMIT ? OFFSET ?`, [...args, filter.limit, filter.offset]);
    return { items: rows.map(rowToStation), total };
  }

  async secretHash(id: string): Promise<string | undefined> {
    return (await this.#sql.get<{ secret_hash: string }>('SELECT secret_hash FROM stations WHERE id = ?', [id]))?.secret_hash;
  }

  async secretHashes(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#sql.all<{ id: string; secret_hash: string }>(`SELECT id, secret_hash FROM stations WHERE id IN (${placeholders(ids.length)})`, ids);
    return new Map(rows.map((r) => [r.id, r.secret_hash]));
  }

  setSecretHash(id: string, hash: string): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const n = (await tx.run('UPDATE stations SET secret_hash = ? WHERE id = ?', [hash, id])).changes;
      if (n > 0) await changed(tx, [id]);
      return n > 0;
    });
  }

  remove(id: string): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      await tx.run('DELETE FROM delivery_stats WHERE device_id = ?', [id]);
      await tx.run('DELETE FROM delivery_stays WHERE device_id = ?', [id]);
      await tx.run('DELETE FROM presence WHERE device_id = ?', [id]);
      await tx.run('DELETE FROM dead_letters WHERE device_id = ?', [id]);
      const n = (await tx.run('DELETE FROM stations WHERE id = ?', [id])).changes;
      if (n > 0) await changed(tx, [id]);
      return n > 0;
    });
  }
}
