/**
 * Rules, their audit trail and their per-(station, rule) state in SQLite. Definitions are
 * stored as JSON and validated again on load, so a row written by an older version that no
 * longer validates is reported, not trusted.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { RuleInputSchema } from './rule-schema.ts';
import type { Rule, RuleInput } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import { inTransaction } from '../state/in-transaction.ts';

export interface RuleAuditEntry {
  readonly id: number;
  readonly ruleId: string;
  readonly action: 'create' | 'update' | 'delete' | 'seed';
  readonly by: string;
  readonly at: string;
  readonly definition: unknown;
}

/** Validates a definition (throws ZodError) and fills in defaults and the id. */
export function toRule(input: unknown, id?: string): Rule {
  const parsed = RuleInputSchema.parse(input);
  return { ...parsed, id: id ?? parsed.id ?? `r-${randomBytes(5).toString('hex')}` } as Rule;
}

export class RuleStore {
  readonly #db: DatabaseSync;
  readonly #logger: Logger;

  constructor(db: DatabaseSync, logger: Logger) {
    this.#db = db;
    this.#logger = logger;
    db.exec(`
      CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS rule_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, rule_id TEXT NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, definition TEXT
      );
      CREATE TABLE IF NOT EXISTS rule_state (
        station_id TEXT NOT NULL, rule_id TEXT NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (station_id, rule_id)
      );
      CREATE TABLE IF NOT EXISTS warnings_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  all(): Rule[] {
    const rows = this.#db.prepare('SELECT id, definition FROM rules ORDER BY id').all() as Array<{ id: string; definition: string }>;
    const rules: Rule[] = [];
    for (const row of rows) {
      try {
        rules.push(toRule(JSON.parse(row.definition), row.id));
      } catch (err) {
        this.#logger.error({ ruleId: row.id, err: String(err) }, 'stored rule no longer validates; skipped');
      }
    }
    return rules;
  }

  get(id: string): Rule | undefined {
    return this.all().find((r) => r.id === id);
  }

  /** Inserts or replaces `rule`, with an audit entry. Returns false on create when the id exists. */
  save(rule: Rule, action: 'create' | 'update' | 'seed', by: string): boolean {
    const now = new Date().toISOString();
    const definition = JSON.stringify(rule);
    return inTransaction(this.#db, () => {
      if (action === 'update') {
        if (Number(this.#db.prepare('UPDATE rules SET definition = ?, updated_at = ? WHERE id = ?').run(definition, now, rule.id).changes) === 0) return false;
      } else if (Number(this.#db.prepare('INSERT OR IGNORE INTO rules (id, definition, created_at, updated_at) VALUES (?, ?, ?, ?)').run(rule.id, definition, now, now).changes) === 0) {
        return false;
      }
      this.#db.prepare('INSERT INTO rule_audit (rule_id, action, by, at, definition) VALUES (?, ?, ?, ?, ?)').run(rule.id, action, by, now, definition);
      return true;
    });
  }

  remove(id: string, by: string): boolean {
    return inTransaction(this.#db, () => {
      if (Number(this.#db.prepare('DELETE FROM rules WHERE id = ?').run(id).changes) === 0) return false;
      this.#db.prepare('DELETE FROM rule_state WHERE rule_id = ?').run(id);
      this.#db.prepare('INSERT INTO rule_audit (rule_id, action, by, at, definition) VALUES (?, ?, ?, ?, NULL)').run(id, 'delete', by, new Date().toISOString());
      return true;
    });
  }

  audit(ruleId: string): RuleAuditEntry[] {
    const rows = this.#db.prepare('SELECT * FROM rule_audit WHERE rule_id = ? ORDER BY id').all(ruleId) as Array<{ id: number; rule_id: string; action: RuleAuditEntry['action']; by: string; at: string; definition: string | null }>;
    return rows.map((r) => ({ id: r.id, ruleId: r.rule_id, action: r.action, by: r.by, at: r.at, definition: r.definition ? JSON.parse(r.definition) : null }));
  }

  /** Seeds `defaults` once per database: deleting a default rule later sticks. */
  seedOnce(defaults: readonly RuleInput[]): number {
    const seeded = this.#db.prepare("SELECT value FROM warnings_meta WHERE key = 'default_rules_seeded'").get();
    if (seeded) return 0;
    let n = 0;
    inTransaction(this.#db, () => {
      for (const d of defaults) if (this.save(toRule(d), 'seed', 'system')) n++;
      this.#db.prepare("INSERT INTO warnings_meta (key, value) VALUES ('default_rules_seeded', ?)").run(new Date().toISOString());
    });
    return n;
  }

  loadStates(): Map<string, RuleState> {
    const rows = this.#db.prepare('SELECT station_id, rule_id, state FROM rule_state').all() as Array<{ station_id: string; rule_id: string; state: string }>;
    return new Map(
      rows.map((r) => {
        const state = JSON.parse(r.state) as RuleState & { lastTs: number | null };
        return [stateKey(r.station_id, r.rule_id), { ...state, lastTs: state.lastTs ?? -Infinity }];
      }),
    );
  }

  /** saveStates' statements, prepared on first use (the rule path saves states every second and at each transition). */
  #stateStatements: { readonly upsert: StatementSync; readonly del: StatementSync } | undefined;

  saveStates(entries: Iterable<[string, RuleState | undefined]>): void {
    const { upsert, del } = (this.#stateStatements ??= {
      upsert: this.#db.prepare(
        'INSERT INTO rule_state (station_id, rule_id, state, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(station_id, rule_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
      ),
      del: this.#db.prepare('DELETE FROM rule_state WHERE station_id = ? AND rule_id = ?'),
    });
    const now = Date.now();
    inTransaction(this.#db, () => {
      for (const [key, state] of entries) {
        const [stationId, ruleId] = splitKey(key);
        if (state) upsert.run(stationId, ruleId, JSON.stringify({ ...state, lastTs: Number.isFinite(state.lastTs) ? state.lastTs : null }), now);
        else del.run(stationId, ruleId);
      }
    });
  }
}

export function stateKey(stationId: string, ruleId: string): string {
  return `${stationId}\u0000${ruleId}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
