/** RuleFlushStore in SQL: a flush's alert changes and rule states in one transaction. */
import type { Alert, AlertEvent } from '../../alerts/alert.ts';
import type { AlertChangeRequest, RuleFlushStore } from '../../alerts/rule-flush-store.ts';
import type { RuleState } from '../../rules/rule-state.ts';
import type { SqlClient } from './sql-client.ts';
import { writeAlertChange } from './sql-alert-store.ts';
import { writeRuleStates } from './sql-rule-store.ts';
import { isUniqueViolation } from './unique-violation.ts';

/** A flush that lost a race to open an alert is decided again this many times (as SqlAlertStore). */
const MAX_TRIES = 3;

export class SqlRuleFlushStore implements RuleFlushStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async commit(changes: readonly AlertChangeRequest[], states: ReadonlyArray<readonly [string, RuleState | undefined]>): Promise<Array<{ alert: Alert; event: AlertEvent } | undefined>> {
    if (changes.length === 0 && states.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sql.transaction(async (tx) => {
          const out: Array<{ alert: Alert; event: AlertEvent } | undefined> = [];
          for (const c of changes) out.push(await writeAlertChange(tx, c.target, c.decide, c.deliveries));
          await writeRuleStates(tx, states);
          return out;
        });
      } catch (err) {
        if (attempt >= MAX_TRIES || !isUniqueViolation(err)) throw err;
      }
    }
  }
}
