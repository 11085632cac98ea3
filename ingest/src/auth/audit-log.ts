/**
 * The audit log: every change and every command through the API — who (token id and name),
 * what (method, route, target, a summary without secrets), when, from where. Append-only:
 * this module has no UPDATE or DELETE, and triggers make SQLite refuse them from anywhere.
 */
import type { DatabaseSync } from 'node:sqlite';

export interface AuditEntryInput {
  /** A principal, or who acted without one (a gateway's bootstrap token: role 'none'). */
  readonly actor: { readonly id: string; readonly name: string; readonly role: string };
  readonly ip: string;
  readonly method: string;
  /** The route pattern, e.g. `/api/v1/stations/:id`. */
  readonly route: string;
  readonly status: number;
  readonly target: string | null;
  /** Departments the target belongs to; null = global (shown only to '*' tokens). */
  readonly departments: readonly string[] | null;
  readonly summary: unknown;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actorId: string;
  readonly actorName: string;
  readonly actorRole: string;
  readonly ip: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly target: string | null;
  readonly departments: readonly string[] | null;
  readonly summary: unknown;
}

interface Row {
  id: number;
  at: string;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  ip: string;
  method: string;
  route: string;
  status: number;
  target: string | null;
  departments: string | null;
  summary: string | null;
}

export interface AuditFilter {
  readonly limit: number;
  readonly beforeId?: number;
  readonly actor?: string;
  readonly target?: string;
  /** Only entries whose departments all lie inside these; undefined = every entry. */
  readonly departments?: readonly string[];
}

/** Keys whose values never reach the log (secrets, passwords, tokens), at any depth. */
const SECRET_KEY = /secret|password|passwd|token|credential|private|^key$/i;
const MAX_SUMMARY_CHARS = 2000;

/** A JSON-safe copy of `value` with secret-looking keys replaced by '[redacted]'. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
  }
  return typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

export class AuditLog {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL,
        ip TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL, target TEXT, departments TEXT, summary TEXT
      );
      CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor_id, id);
      CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log(target, id);
      CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `);
  }

  append(e: AuditEntryInput, nowMs = Date.now()): number {
    let summary = e.summary === undefined ? null : JSON.stringify(redact(e.summary));
    if (summary && summary.length > MAX_SUMMARY_CHARS) summary = JSON.stringify({ truncated: summary.slice(0, MAX_SUMMARY_CHARS) });
    const res = this.#db
      .prepare('INSERT INTO audit_log (at, actor_id, actor_name, actor_role, ip, method, route, status, target, departments, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(new Date(nowMs).toISOString(), e.actor.id, e.actor.name, e.actor.role, e.ip, e.method, e.route, e.status, e.target, e.departments ? JSON.stringify(e.departments) : null, summary);
    return Number(res.lastInsertRowid);
  }

  /** Newest first. */
  list(f: AuditFilter): AuditEntry[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (f.beforeId) {
      where.push('id < ?');
      args.push(f.beforeId);
    }
    if (f.actor) {
      where.push('(actor_id = ? OR actor_name = ?)');
      args.push(f.actor, f.actor);
    }
    if (f.target) {
      where.push('target = ?');
      args.push(f.target);
    }
    if (f.departments) {
      // Entries about a global target, or one reaching outside the scope, stay hidden.
      where.push(`departments IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(audit_log.departments) WHERE value NOT IN (${f.departments.map(() => '?').join(', ') || "''"}))`);
      args.push(...f.departments);
    }
    const rows = this.#db
      .prepare(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, f.limit) as unknown as Row[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorRole: r.actor_role,
      ip: r.ip,
      method: r.method,
      route: r.route,
      status: r.status,
      target: r.target,
      departments: r.departments ? (JSON.parse(r.departments) as string[]) : null,
      summary: r.summary ? (JSON.parse(r.summary) as unknown) : null,
    }));
  }
}
