/**
 * Platform state behind one async interface, split by kind of record. Two backends implement
 * it: SQLite (node:sqlite, one file — the embedded default) and PostgreSQL (several platform
 * nodes sharing it), chosen by openPlatformStore. Nothing on the publish path waits on it.
 */
import type { StationStore } from './station-store.ts';
import type { ProvisioningStore } from './provisioning-store.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import type { DeliveryStatsStore } from './delivery-stats-store.ts';
import type { PresenceStore } from './presence-store.ts';
import type { ApiTokenStore } from '../auth/api-token-store.ts';
import type { AuditLog } from '../auth/audit-log.ts';
import type { UserStore } from '../auth/user-store.ts';
import type { RuleStore } from '../rules/rule-store.ts';
import type { AlertStore } from '../alerts/alert-store.ts';
import type { RuleFlushStore } from '../alerts/rule-flush-store.ts';
import type { SubscriptionStore } from '../webhooks/subscription-store.ts';
import type { OutboxStore } from '../webhooks/outbox-store.ts';
import type { CommandStore } from '../commands/command-store.ts';
import type { Leadership } from './leadership.ts';
import type { ProfileStore } from '../catalogue/profile-store.ts';

export type StoreBackend = 'sqlite' | 'postgres';

export interface PlatformStore {
  readonly backend: StoreBackend;
  /** Stations and their credentials. */
  readonly stations: StationStore;
  /** Bootstrap tokens and edge-agent configs. */
  readonly provisioning: ProvisioningStore;
  readonly tokens: ApiTokenStore;
  /** People who sign in to the web app, and their sessions. */
  readonly users: UserStore;
  readonly audit: AuditLog;
  readonly deadLetters: DeadLetterStore;
  /** Rules, their audit trail and their per-(station, rule) state. */
  readonly rules: RuleStore;
  readonly alerts: AlertStore;
  /** A flush of the rules: its alert changes and rule states in one transaction. */
  readonly ruleFlush: RuleFlushStore;
  readonly subscriptions: SubscriptionStore;
  readonly outbox: OutboxStore;
  readonly commands: CommandStore;
  /** Per-device sequence statistics. */
  readonly delivery: DeliveryStatsStore;
  readonly presence: PresenceStore;
  /** Custom station profiles (docs/catalogue.md). */
  readonly profiles: ProfileStore;
  /**
   * Campaigns for the leadership of `name` (one leader per name in the whole cluster).
   * PostgreSQL: a session advisory lock on a dedicated connection; SQLite: always the leader.
   */
  leadership(name: string, options?: { readonly retryMs?: number }): Leadership;
  /** Schema versions this database has applied. */
  schemaVersions(): Promise<number[]>;
  close(): Promise<void>;
}
