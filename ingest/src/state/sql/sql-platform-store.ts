/** A PlatformStore from one SqlDatabase: every record store over the same connection(s). */
import type { Logger } from 'pino';
import type { PlatformStore, StoreBackend } from '../platform-store.ts';
import type { Leadership } from '../leadership.ts';
import type { SqlDatabase } from './sql-client.ts';
import { SqlStationStore } from './sql-station-store.ts';
import { SqlProvisioningStore } from './sql-provisioning-store.ts';
import { SqlApiTokenStore } from './sql-api-token-store.ts';
import { SqlUserStore } from './sql-user-store.ts';
import type { UserStoreOptions } from '../../auth/user-store.ts';
import { SqlAuditLog } from './sql-audit-log.ts';
import { SqlDeadLetterStore } from './sql-dead-letter-store.ts';
import { SqlRuleStore } from './sql-rule-store.ts';
import { SqlAlertStore } from './sql-alert-store.ts';
import { SqlRuleFlushStore } from './sql-rule-flush-store.ts';
import { SqlSubscriptionStore } from './sql-subscription-store.ts';
import { SqlOutboxStore } from './sql-outbox-store.ts';
import { SqlCommandStore } from './sql-command-store.ts';
import { SqlDeliveryStatsStore } from './sql-delivery-stats-store.ts';
import { SqlPresenceStore } from './sql-presence-store.ts';
import { SqlProfileStore } from '../../catalogue/sql-profile-store.ts';

export interface SqlPlatformStoreOptions {
  readonly backend: StoreBackend;
  readonly logger: Logger;
  readonly maxDeadLetters?: number;
  /** Password cost and session lifetimes of web app users. */
  readonly users?: Partial<UserStoreOptions>;
  readonly leadership: (name: string, options?: { readonly retryMs?: number }) => Leadership;
}

export function sqlPlatformStore(db: SqlDatabase, o: SqlPlatformStoreOptions): PlatformStore {
  const leaders = new Set<Leadership>();
  return {
    backend: o.backend,
    stations: new SqlStationStore(db),
    provisioning: new SqlProvisioningStore(db),
    tokens: new SqlApiTokenStore(db),
    users: new SqlUserStore(db, o.users),
    audit: new SqlAuditLog(db),
    deadLetters: new SqlDeadLetterStore(db, o.maxDeadLetters ? { maxDeadLetters: o.maxDeadLetters } : {}),
    rules: new SqlRuleStore(db, o.logger),
    alerts: new SqlAlertStore(db),
    ruleFlush: new SqlRuleFlushStore(db),
    subscriptions: new SqlSubscriptionStore(db),
    outbox: new SqlOutboxStore(db),
    commands: new SqlCommandStore(db),
    delivery: new SqlDeliveryStatsStore(db),
    presence: new SqlPresenceStore(db),
    profiles: new SqlProfileStore(db),
    leadership(name, options) {
      const l = o.leadership(name, options);
      leaders.add(l);
      return l;
    },
    async schemaVersions() {
      return (await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
    },
    async close() {
      for (const l of leaders) await l.close();
      await db.close();
    },
  };
}
