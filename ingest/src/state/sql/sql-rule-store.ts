/** RuleStore in SQL. */
import type { Logger } from 'pino';
import type { Rule, RuleInput } from '../../rules/rule-schema.ts';
import type { RuleState } from '../../rules/rule-state.ts';
import { splitKey, stateKey, toRule } from '../../rules/rule-store.ts';
import type { RuleAuditEntry, RuleStore } from '../../rules/rule-store.ts';
import type { SqlClient, SqlValue } from './sql-client.ts';
import { placeholders } from './sql-client.ts';
import { BatchedLookup } from '../batched-lookup.ts';

interface StateRow {
  station_id: string;
  rule_id: string;
  state: string;
}

function toState(r: StateRow): [string, RuleState] {
  const state = JSON.parse(r.state) as RuleState & { lastTs: number | null };
  return [stateKey(r.station_id, r.rule_id), { ...state, lastTs: state.lastTs ?? -Infinity }];
}

export class SqlRuleStore implements RuleStore {
  readonly #sql: SqlClient;
  readonly #logger: Logger;

  /** One station's states, looked up together with those of the stations taken over at the same moment (a reconnect storm). */
  readonly #stationStates: BatchedLookup<string, Map<string, RuleState>>;

  constructor(sql: SqlClient, logger: Logger) {
    this.#sql = sql;
    this.#logger = logger;
    this.#stationStates = new BatchedLookup({
      loadMany: async (ids) => {
        const rows = await this.#sql.all<StateRow>(`SELECT station_id, rule_id, state FROM rule_state WHERE station_id IN (${placeholders(ids.length)})`, ids);
        const by = new Map<string, Map<string, RuleState>>();
        for (const r of rows) {
          const states = by.get(r.station_id) ?? new Map<string, RuleState>();
          states.set(...toState(r));
          by.set(r.station_id, states);
        }
        return by;
      },
    });
  }

  async all(): Promise<Rule[]> {
    return this.#valid(await this.#sql.all<{ id: string; definition: string }>('SELECT id, definition FROM rules ORDER BY id'));
  }

  async get(id: string): Promise<Rule | undefined> {
    return this.#valid(await this.#sql.all<{ id: string; definition: string }>('SELECT id, definition FROM rules WHERE id = ?', [id]))[0];
  }

  #valid(rows: ReadonlyArray<{ id: string; definition: string }>): Rule[] {
    const rules: Rule[] = [];
    for (const row of rows) {
      try {
        rules.push(toRule(JSON.parse(row.definition), row.id));
      } catch (err) {
        this.#logger.error({ ruleId: row.id, err }, 'stored rule no longer validates; skipped');
      }
    }
    return rules;
  }

  save(rule: Rule, action: 'create' | 'update' | 'seed', by: string): Promise<boolean> {
    return this.#sql.transaction((tx) => this.#save(tx, rule, action, by));
  }

  async #save(tx: SqlClient, rule: Rule, action: 'create' | 'update' | 'seed', by: string): Promise<boolean> {
    const now = new Date().toISOString();
    const definition = JSON.stringify(rule);
    const changed =
      action === 'update'
        ? await tx.run('UPDATE rules SET definition = ?, updated_at = ? WHERE id = ?', [definition, now, rule.id])
        : await tx.run('INSERT INTO rules (id, definition, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [rule.id, definition, now, now]);
    if (changed.changes === 0) return false;
    await tx.run('INSERT INTO rule_audit (rule_id, action, by, at, definition) VALUES (?, ?, ?, ?, ?)', [rule.id, action, by, now, definition]);
    return true;
  }

  remove(id: string, by: string): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      if ((await tx.run('DELETE FROM rules WHERE id = ?', [id])).changes === 0) return false;
      await tx.run('DELETE FROM rule_state WHERE rule_id = ?', [id]);
      await tx.run('INSERT INTO rule_audit (rule_id, action, by, at, definition) VALUES (?, ?, ?, ?, NULL)', [id, 'delete', by, new Date().toISOString()]);
      return true;
    });
  }

  async audit(ruleId: string): Promise<RuleAuditEntry[]> {
    const rows = await this.#sql.all<{ id: number; rule_id: string; action: RuleAuditEntry['action']; by: string; at: string; definition: string | null }>(
      'SELECT id, rule_id, action, by, at, definition FROM rule_audit WHERE rule_id = ? ORDER BY id',
      [ruleId],
    );
    return rows.map((r) => ({ id: Number(r.id), ruleId: r.rule_id, action: r.action, by: r.by, at: r.at, definition: r.definition ? (JSON.parse(r.definition) as unknown) : null }));
  }

  seedOnce(defaults: readonly RuleInput[]): Promise<number> {
    return this.#sql.transaction(async (tx) => {
      // Nodes starting together: the marker row is claimed first, so only one of them seeds.
      const claimed = await tx.run("INSERT INTO warnings_meta (key, value) VALUES ('default_rules_seeded', ?) ON CONFLICT (key) DO NOTHING", [new Date().toISOString()]);
      if (claimed.changes === 0) return 0;
      let n = 0;
      for (const d of defaults) if (await this.#save(tx, toRule(d), 'seed', 'system')) n++;
      return n;
    });
  }

  seedEach(defaults: readonly RuleInput[]): Promise<number> {
    return this.#sql.transaction(async (tx) => {
      let n = 0;
      for (const d of defaults) {
        const rule = toRule(d);
        const claimed = await tx.run('INSERT INTO warnings_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [`seeded_rule:${rule.id}`, new Date().toISOString()]);
        if (claimed.changes === 0) continue;
        if (await tx.get('SELECT id FROM rules WHERE id = ?', [rule.id])) continue;
        if (await this.#save(tx, rule, 'seed', 'system')) n++;
      }
      return n;
    });
  }

  async loadStates(stationId?: string): Promise<Map<string, RuleState>> {
    if (stationId !== undefined) return (await this.#stationStates.get(stationId)) ?? new Map();
    const rows = await this.#sql.all<StateRow>('SELECT station_id, rule_id, state FROM rule_state');
    return new Map(rows.map(toState));
  }

  async saveStates(entries: Iterable<[string, RuleState | undefined]>): Promise<void> {
    const list = [...entries];
    if (list.length === 0) return;
    await this.#sql.transaction((tx) => writeRuleStates(tx, list));
  }
}

/** Writes rule states (undefined deletes) inside the caller's transaction (saveStates; the rules' flush). */
export async function writeRuleStates(tx: SqlClient, list: ReadonlyArray<readonly [string, RuleState | undefined]>): Promise<void> {
  const now = Date.now();
  for (const [key, state] of list) {
    const [stationId, ruleId] = splitKey(key);
    if (state) {
      const args: SqlValue[] = [stationId, ruleId, JSON.stringify({ ...state, lastTs: Number.isFinite(state.lastTs) ? state.lastTs : null }), now];
      await tx.run(
        'INSERT INTO rule_state (station_id, rule_id, state, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (station_id, rule_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
        args,
      );
    } else {
      await tx.run('DELETE FROM rule_state WHERE station_id = ? AND rule_id = ?', [stationId, ruleId]);
    }
  }
}
