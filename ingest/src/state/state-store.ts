/**
 * Platform state in an embedded SQLite file (node:sqlite): stations and their credentials,
 * dead letters, per-device delivery statistics. The one module that knows SQL, so PostgreSQL
 * can serve multi-node deployments later. WAL mode: a process crash loses no committed row.
 */
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { Station, StationInput } from '@shanshui/models';
import type { SequenceStats } from '../accept/sequence-tracker.ts';

export interface DeadLetter {
  readonly id: number;
  readonly deviceId: string;
  readonly topic: string;
  readonly receivedAt: string;
  readonly code: string;
  readonly reason: string;
  /** Raw payload, base64. */
  readonly payload: string;
  readonly encoding: string;
}

export interface DeadLetterInput {
  readonly deviceId: string;
  readonly topic: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: Buffer;
  readonly encoding: string;
}

export interface StationFilter {
  readonly domain?: string;
  readonly department?: string;
  readonly region?: string;
  /** Only these departments (a token's scope); undefined = all. */
  readonly departments?: readonly string[];
  readonly limit: number;
  readonly offset: number;
}

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
  profile?: string | null;
  created_at: string;
}

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

/**
 * Schema changes of databases created by earlier versions, each idempotent: a column added
 * when missing. New databases get them from CREATE TABLE already.
 */
function migrate(db: DatabaseSync): void {
  const columns = (db.prepare('PRAGMA table_info(stations)').all() as Array<{ name: string }>).map((c) => c.name);
  if (!columns.includes('gateway_id')) db.exec('ALTER TABLE stations ADD COLUMN gateway_id TEXT');
  // Catalogue profile (issue #15): stations from before it have none, i.e. their domain's own profile.
  if (!columns.includes('profile')) db.exec('ALTER TABLE stations ADD COLUMN profile TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS stations_gateway ON stations(gateway_id) WHERE gateway_id IS NOT NULL');
}

export class StateStore {
  readonly #db: DatabaseSync;
  readonly #stmts: Record<string, StatementSync>;
  /** Most dead letters kept; older ones are pruned. */
  readonly #maxDeadLetters: number;

  constructor(file: string, options: { maxDeadLetters?: number } = {}) {
    this.#maxDeadLetters = options.maxDeadLetters ?? 100_000;
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS stations (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
        region TEXT NOT NULL, department TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
        secret_hash TEXT NOT NULL, gateway_id TEXT, profile TEXT
      );
      CREATE INDEX IF NOT EXISTS stations_dept ON stations(department);
      CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, topic TEXT NOT NULL, received_at TEXT NOT NULL,
        code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL, encoding TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS dead_letters_device ON dead_letters(device_id, id);
      CREATE TABLE IF NOT EXISTS delivery_stats (
        device_id TEXT PRIMARY KEY, stats TEXT NOT NULL, updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS presence (
        device_id TEXT PRIMARY KEY, online INTEGER NOT NULL, since TEXT NOT NULL, remote_address TEXT
      );
    `);
    migrate(this.#db);
    this.#stmts = {
      insertStation: this.#db.prepare(
        'INSERT INTO stations (id, name, domain, lat, lon, region, department, attributes, created_at, secret_hash, gateway_id, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateStation: this.#db.prepare('UPDATE stations SET name = ?, lat = ?, lon = ?, region = ?, attributes = ?, gateway_id = ?, profile = ? WHERE id = ?'),
      detachChildren: this.#db.prepare('UPDATE stations SET gateway_id = NULL WHERE gateway_id = ?'),
      getStation: this.#db.prepare('SELECT * FROM stations WHERE id = ?'),
      secretHash: this.#db.prepare('SELECT secret_hash FROM stations WHERE id = ?'),
      setSecret: this.#db.prepare('UPDATE stations SET secret_hash = ? WHERE id = ?'),
      deleteStation: this.#db.prepare('DELETE FROM stations WHERE id = ?'),
      deleteStats: this.#db.prepare('DELETE FROM delivery_stats WHERE device_id = ?'),
      deletePresence: this.#db.prepare('DELETE FROM presence WHERE device_id = ?'),
      deleteDeadLetters: this.#db.prepare('DELETE FROM dead_letters WHERE device_id = ?'),
      allStations: this.#db.prepare('SELECT * FROM stations ORDER BY id'),
      insertDead: this.#db.prepare(
        'INSERT INTO dead_letters (device_id, topic, received_at, code, reason, payload, encoding) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      pruneDead: this.#db.prepare('DELETE FROM dead_letters WHERE id <= ?'),
      countDead: this.#db.prepare('SELECT count(*) AS n FROM dead_letters'),
      upsertStats: this.#db.prepare(
        'INSERT INTO delivery_stats (device_id, stats, updated_at) VALUES (?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET stats = excluded.stats, updated_at = excluded.updated_at',
      ),
      allStats: this.#db.prepare('SELECT device_id, stats FROM delivery_stats'),
      upsertPresence: this.#db.prepare(
        'INSERT INTO presence (device_id, online, since, remote_address) VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET online = excluded.online, since = excluded.since, remote_address = excluded.remote_address',
      ),
      getPresence: this.#db.prepare('SELECT online, since, remote_address FROM presence WHERE device_id = ?'),
      resetPresence: this.#db.prepare('UPDATE presence SET online = 0'),
    };
    this.#stmts['resetPresence']!.run();
  }

  insertStation(input: StationInput, secretHash: string): Station {
    const createdAt = new Date().toISOString();
    this.#stmts['insertStation']!.run(
      input.id,
      input.name,
      input.domain,
      input.lat,
      input.lon,
      input.region,
      input.department,
      input.attributes ? JSON.stringify(input.attributes) : null,
      createdAt,
      secretHash,
      input.gatewayId ?? null,
      input.profile ?? null,
    );
    return { ...input, createdAt };
  }

  /** Writes a station's changeable fields (StationUpdate applied by the registry); false when it does not exist. */
  updateStation(station: Station): boolean {
    const res = this.#stmts['updateStation']!.run(
      station.name,
      station.lat,
      station.lon,
      station.region,
      station.attributes ? JSON.stringify(station.attributes) : null,
      station.gatewayId ?? null,
      station.profile ?? null,
      station.id,
    );
    return Number(res.changes) > 0;
  }

  /** A gateway is gone: its children no longer name it (a station registered later under that id inherits none). */
  detachChildren(gatewayId: string): number {
    return Number(this.#stmts['detachChildren']!.run(gatewayId).changes);
  }

  getStation(id: string): Station | undefined {
    const row = this.#stmts['getStation']!.get(id) as StationRow | undefined;
    return row ? rowToStation(row) : undefined;
  }

  allStations(): Station[] {
    return (this.#stmts['allStations']!.all() as unknown as StationRow[]).map(rowToStation);
  }

  listStations(filter: StationFilter): { items: Station[]; total: number } {
    const where: string[] = [];
    const args: string[] = [];
    for (const key of ['domain', 'department', 'region'] as const) {
      const v = filter[key];
      if (v !== undefined) {
        where.push(key === 'region' ? 'region LIKE ?' : `${key} = ?`);
        args.push(key === 'region' ? `${v}%` : v);
      }
    }
    if (filter.departments) {
      where.push(`department IN (${filter.departments.map(() => '?').join(', ') || "''"})`);
      args.push(...filter.departments);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.#db.prepare(`SELECT count(*) AS n FROM stations ${clause}`).get(...args) as { n: number }).n;
    const rows = this.#db.prepare(`SELECT * FROM stations ${clause} ORDER BY id LIMIT ? OFFSET ?`).all(...args, filter.limit, filter.offset) as unknown as StationRow[];
    return { items: rows.map(rowToStation), total };
  }

  secretHash(id: string): string | undefined {
    return (this.#stmts['secretHash']!.get(id) as { secret_hash: string } | undefined)?.secret_hash;
  }

  setSecretHash(id: string, hash: string): boolean {
    return Number(this.#stmts['setSecret']!.run(hash, id).changes) > 0;
  }

  /**
   * Deletes a station with its delivery statistics, presence and dead letters: the id may be
   * registered again, by another department, which must see none of it.
   */
  deleteStation(id: string): boolean {
    this.#stmts['deleteStats']!.run(id);
    this.#stmts['deletePresence']!.run(id);
    this.#stmts['deleteDeadLetters']!.run(id);
    return Number(this.#stmts['deleteStation']!.run(id).changes) > 0;
  }

  insertDeadLetter(d: DeadLetterInput): number {
    const res = this.#stmts['insertDead']!.run(d.deviceId, d.topic, new Date().toISOString(), d.code, d.reason, d.payload, d.encoding);
    const id = Number(res.lastInsertRowid);
    if (id % 1000 === 0) this.#stmts['pruneDead']!.run(id - this.#maxDeadLetters);
    return id;
  }

  listDeadLetters(filter: { deviceId?: string; beforeId?: number; limit: number; departments?: readonly string[] }): DeadLetter[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.departments) {
      where.push(this.#deviceInDepartments(filter.departments));
      args.push(...filter.departments);
    }
    if (filter.deviceId) {
      where.push('device_id = ?');
      args.push(filter.deviceId);
    }
    if (filter.beforeId) {
      where.push('id < ?');
      args.push(filter.beforeId);
    }
    const rows = this.#db
      .prepare(`SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, filter.limit) as Array<{ id: number; device_id: string; topic: string; received_at: string; code: string; reason: string; payload: Uint8Array; encoding: string }>;
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      topic: r.topic,
      receivedAt: r.received_at,
      code: r.code,
      reason: r.reason,
      payload: Buffer.from(r.payload).toString('base64'),
      encoding: r.encoding,
    }));
  }

  /** Dead letters kept, in total or of the stations of `departments` (a token's scope). */
  countDeadLetters(departments?: readonly string[]): number {
    if (!departments) return (this.#stmts['countDead']!.get() as { n: number }).n;
    return (this.#db.prepare(`SELECT count(*) AS n FROM dead_letters WHERE ${this.#deviceInDepartments(departments)}`).get(...departments) as { n: number }).n;
  }

  /** Dead letters of devices that are not (or no longer) stations belong to no department: only scope '*' sees them. */
  #deviceInDepartments(departments: readonly string[]): string {
    return `device_id IN (SELECT id FROM stations WHERE department IN (${departments.map(() => '?').join(', ') || "''"}))`;
  }

  saveDeliveryStats(stats: ReadonlyMap<string, SequenceStats>): void {
    const now = new Date().toISOString();
    this.#db.exec('BEGIN');
    try {
      for (const [id, s] of stats) this.#stmts['upsertStats']!.run(id, JSON.stringify(s), now);
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  loadDeliveryStats(): Map<string, SequenceStats> {
    const rows = this.#stmts['allStats']!.all() as Array<{ device_id: string; stats: string }>;
    return new Map(rows.map((r) => [r.device_id, JSON.parse(r.stats) as SequenceStats]));
  }

  setPresence(deviceId: string, online: boolean, remoteAddress: string | undefined): void {
    this.#stmts['upsertPresence']!.run(deviceId, online ? 1 : 0, new Date().toISOString(), remoteAddress ?? null);
  }

  getPresence(deviceId: string): { online: boolean; since: string; remoteAddress: string | null } | undefined {
    const r = this.#stmts['getPresence']!.get(deviceId) as { online: number; since: string; remote_address: string | null } | undefined;
    return r ? { online: r.online === 1, since: r.since, remoteAddress: r.remote_address } : undefined;
  }

  /** The SQLite connection, for the other stores of platform state (provisioning, alerts). */
  get database(): DatabaseSync {
    return this.#db;
  }

  close(): void {
    this.#db.close();
  }
}
