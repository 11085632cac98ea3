/** AuditLog in SQL: append-only (database triggers refuse UPDATE and DELETE). */
import { summaryText } from '../../auth/audit-log.ts';
import type { AuditEntry, AuditEntryInput, AuditFilter, AuditLog } from '../../auth/audit-log.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';

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

export class SqlAuditLog implements AuditLog {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async append(e: AuditEntryInput, nowMs = Date.now()): Promise<number> {
    const row = await this.#sql.get<{ id: number }>(
      'INSERT INTO audit_log (at, actor_id, actor_name, actor_role, ip, method, route, status, target, departments, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
      [new Date(nowMs).toISOString(), e.actor.id, e.actor.name, e.actor.role, e.ip, e.method, e.route, e.status, e.target, e.departments ? JSON.stringify(e.departments) : null, summaryText(e.summary)],
    );
    return Number(row!.id);
  }

  async list(f: AuditFilter): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
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
      const elements =
        this.#sql.dialect === 'sqlite' ? 'SELECT value FROM json_each(audit_log.departments)' : 'SELECT jsonb_array_elements_text(audit_log.departments::jsonb) AS value';
      where.push(`departments IS NOT NULL AND NOT EXISTS (SELECT 1 FROM (${elements}) AS d WHERE d.value NOT IN (${placeholders(f.departments.length)}))`);
      args.push(...f.departments);
    }
    const rows = await this.#sql.all<Row>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...args, f.limit]);
    return rows.map((r) => ({
      id: Number(r.id),
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
