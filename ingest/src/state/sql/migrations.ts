/**
 * The schema of platform state as numbered migrations, one list for both engines: version N
 * is the same change in SQLite and in PostgreSQL. Each database records what it has applied in
 * `schema_migrations`; opening it applies the rest, in order, each in its own transaction.
 *
 * Migration 1 is the schema of release 0.1.0 (the synchronous SQLite stores), written with
 * IF NOT EXISTS so a database that release created passes through it unchanged and then
 * takes the later ones. Never edit an applied migration: add the next number.
 */
import type { DatabaseSync } from 'node:sqlite';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL, or a function for changes SQLite cannot say in SQL alone (ADD COLUMN when missing). */
  readonly sqlite: string | ((db: DatabaseSync) => void);
  readonly postgres: string;
}

function sqliteColumns(db: DatabaseSync, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
}

const SQLITE_V1 = `
  CREATE TABLE IF NOT EXISTS stations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    region TEXT NOT NULL, department TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
    secret_hash TEXT NOT NULL, gateway_id TEXT
  );
  CREATE INDEX IF NOT EXISTS stations_dept ON stations(department);
  CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, topic TEXT NOT NULL, received_at TEXT NOT NULL,
    code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL, encoding TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS dead_letters_device ON dead_letters(device_id, id);
  CREATE TABLE IF NOT EXISTS delivery_stats (device_id TEXT PRIMARY KEY, stats TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS presence (device_id TEXT PRIMARY KEY, online INTEGER NOT NULL, since TEXT NOT NULL, remote_address TEXT);
  CREATE TABLE IF NOT EXISTS bootstrap_tokens (
    token_hash TEXT PRIMARY KEY, station_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, used_from TEXT
  );
  CREATE TABLE IF NOT EXISTS agent_configs (station_id TEXT PRIMARY KEY, version INTEGER NOT NULL, config TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT, last_used_at TEXT
  );
  CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL,
    ip TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL, target TEXT, departments TEXT, summary TEXT
  );
  CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor_id, id);
  CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log(target, id);
  CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS rule_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, rule_id TEXT NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, definition TEXT
  );
  CREATE TABLE IF NOT EXISTS rule_state (
    station_id TEXT NOT NULL, rule_id TEXT NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (station_id, rule_id)
  );
  CREATE TABLE IF NOT EXISTS warnings_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, station_id TEXT NOT NULL, station_name TEXT NOT NULL, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL,
    rule_kind TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, department TEXT NOT NULL,
    level TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    value REAL NOT NULL, message TEXT NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, escalated_at TEXT,
    acknowledged_by TEXT, acknowledged_at TEXT, ack_note TEXT, resolved_at TEXT
  );
  CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open ON alerts(station_id, rule_id) WHERE state != 'resolved';
  CREATE INDEX IF NOT EXISTS alerts_opened ON alerts(opened_at);
  CREATE TABLE IF NOT EXISTS alert_events (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL,
    value REAL NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL, by TEXT
  );
  CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, seq);
  CREATE TABLE IF NOT EXISTS webhook_subscriptions (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, subscription_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, event_type TEXT NOT NULL,
    alert_id TEXT NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, delivered_at TEXT,
    UNIQUE (subscription_id, idempotency_key)
  );
  CREATE INDEX IF NOT EXISTS webhook_outbox_queue ON webhook_outbox(subscription_id, state, id);
  CREATE INDEX IF NOT EXISTS webhook_outbox_state ON webhook_outbox(state, id);
  CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY, station_id TEXT NOT NULL, department TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
    state TEXT NOT NULL, by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    sent_at TEXT, result_at TEXT, result TEXT, error TEXT
  );
  CREATE INDEX IF NOT EXISTS commands_station ON commands(station_id, created_at);
  CREATE INDEX IF NOT EXISTS commands_open ON commands(state) WHERE state IN ('pending', 'sent');
`;

const POSTGRES_V1 = `
  CREATE TABLE stations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
    region TEXT NOT NULL, department TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
    secret_hash TEXT NOT NULL, gateway_id TEXT
  );
  CREATE INDEX stations_dept ON stations(department);
  CREATE INDEX stations_gateway ON stations(gateway_id) WHERE gateway_id IS NOT NULL;
  CREATE TABLE dead_letters (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL, topic TEXT NOT NULL, received_at TEXT NOT NULL,
    code TEXT NOT NULL, reason TEXT NOT NULL, payload BYTEA NOT NULL, encoding TEXT NOT NULL
  );
  CREATE INDEX dead_letters_device ON dead_letters(device_id, id);
  CREATE TABLE delivery_stats (device_id TEXT PRIMARY KEY, stats TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE presence (device_id TEXT PRIMARY KEY, online INTEGER NOT NULL, since TEXT NOT NULL, remote_address TEXT);
  CREATE TABLE bootstrap_tokens (
    token_hash TEXT PRIMARY KEY, station_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, used_from TEXT
  );
  CREATE TABLE agent_configs (station_id TEXT PRIMARY KEY, version INTEGER NOT NULL, config TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT, last_used_at TEXT
  );
  CREATE TABLE audit_log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL,
    ip TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL, target TEXT, departments TEXT, summary TEXT
  );
  CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
  CREATE INDEX audit_log_target ON audit_log(target, id);
  CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
  CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  CREATE TABLE rules (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE rule_audit (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, rule_id TEXT NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, definition TEXT
  );
  CREATE TABLE rule_state (
    station_id TEXT NOT NULL, rule_id TEXT NOT NULL, state TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (station_id, rule_id)
  );
  CREATE TABLE warnings_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY, station_id TEXT NOT NULL, station_name TEXT NOT NULL, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL,
    rule_kind TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, department TEXT NOT NULL,
    level TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    value DOUBLE PRECISION NOT NULL, message TEXT NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, escalated_at TEXT,
    acknowledged_by TEXT, acknowledged_at TEXT, ack_note TEXT, resolved_at TEXT
  );
  CREATE UNIQUE INDEX alerts_one_open ON alerts(station_id, rule_id) WHERE state != 'resolved';
  CREATE INDEX alerts_opened ON alerts(opened_at);
  CREATE TABLE alert_events (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL, by TEXT
  );
  CREATE INDEX alert_events_alert ON alert_events(alert_id, seq);
  CREATE TABLE webhook_subscriptions (id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE webhook_outbox (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, subscription_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, event_type TEXT NOT NULL,
    alert_id TEXT NOT NULL, content_type TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL, last_status INTEGER, last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, delivered_at TEXT,
    UNIQUE (subscription_id, idempotency_key)
  );
  CREATE INDEX webhook_outbox_queue ON webhook_outbox(subscription_id, state, id);
  CREATE INDEX webhook_outbox_state ON webhook_outbox(state, id);
  CREATE TABLE commands (
    id TEXT PRIMARY KEY, station_id TEXT NOT NULL, department TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
    state TEXT NOT NULL, by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    sent_at TEXT, result_at TEXT, result TEXT, error TEXT
  );
  CREATE INDEX commands_station ON commands(station_id, created_at);
  CREATE INDEX commands_open ON commands(state) WHERE state IN ('pending', 'sent');
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'release 0.1.0 schema',
    sqlite(db) {
      db.exec(SQLITE_V1);
      // Databases from before gateways had no gateway_id column.
      if (!sqliteColumns(db, 'stations').includes('gateway_id')) db.exec('ALTER TABLE stations ADD COLUMN gateway_id TEXT');
      db.exec('CREATE INDEX IF NOT EXISTS stations_gateway ON stations(gateway_id) WHERE gateway_id IS NOT NULL');
    },
    postgres: POSTGRES_V1,
  },
  {
    version: 2,
    name: 'cluster: presence per node, outbox claims',
    // node_id: which platform node holds the device's connection (a late disconnect from the
    // node it left must not mark it offline). claimed_by/claimed_until: a webhook delivery in
    // flight on one node is not sent again by another until the claim lapses.
    sqlite: `
      ALTER TABLE presence ADD COLUMN node_id TEXT NOT NULL DEFAULT 'local';
      ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT;
      ALTER TABLE webhook_outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
    `,
    postgres: `
      ALTER TABLE presence ADD COLUMN node_id TEXT NOT NULL DEFAULT 'local';
      ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT;
      ALTER TABLE webhook_outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 3,
    name: 'web app: users and their sessions',
    // A password as a scrypt hash; a session as the sha256 of its 256-bit cookie secret.
    sqlite: `
      CREATE TABLE users (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL, password_hash TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, disabled_at TEXT, last_sign_in_at TEXT
      );
      CREATE TABLE user_sessions (id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT NOT NULL);
      CREATE INDEX user_sessions_user ON user_sessions(user_name);
    `,
    postgres: `
      CREATE TABLE users (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL, password_hash TEXT NOT NULL, role TEXT NOT NULL, departments TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, disabled_at TEXT, last_sign_in_at TEXT
      );
      CREATE TABLE user_sessions (id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT NOT NULL);
      CREATE INDEX user_sessions_user ON user_sessions(user_name);
    `,
  },
  {
    version: 4,
    name: 'catalogue: station profiles',
    // profile: the station's catalogue profile (NULL: its domain's own, as for every station
    // registered before). profiles: custom profiles added through the API (docs/catalogue.md).
    sqlite: `
      ALTER TABLE stations ADD COLUMN profile TEXT;
      CREATE TABLE profiles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, definition TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
    `,
    postgres: `
      ALTER TABLE stations ADD COLUMN profile TEXT;
      CREATE TABLE profiles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, definition TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
    `,
  },
  {
    version: 5,
    name: 'cluster: station change feed',
    // Every write to a station (registered, changed, credentials rotated, detached, deleted) leaves
    // its id here: other nodes read what changed since their last look and refresh only those.
    sqlite: 'CREATE TABLE station_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL, at TEXT NOT NULL)',
    postgres: 'CREATE TABLE station_changes (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, station_id TEXT NOT NULL, at TEXT NOT NULL)',
  },
  {
    version: 6,
    name: 'cluster: node heartbeats, delivery statistics by time',
    // cluster_nodes: each node's last sign of life; the leader marks the devices of a node silent
    // too long offline (a node killed with -9 says nothing). delivery_stats_updated: nodes read the
    // statistics other nodes saved since their last look.
    sqlite: `
      CREATE TABLE cluster_nodes (node_id TEXT PRIMARY KEY, heartbeat_at INTEGER NOT NULL, started_at TEXT NOT NULL);
      CREATE INDEX presence_node_online ON presence(node_id) WHERE online = 1;
      CREATE INDEX delivery_stats_updated ON delivery_stats(updated_at);
    `,
    postgres: `
      CREATE TABLE cluster_nodes (node_id TEXT PRIMARY KEY, heartbeat_at BIGINT NOT NULL, started_at TEXT NOT NULL);
      CREATE INDEX presence_node_online ON presence(node_id) WHERE online = 1;
      CREATE INDEX delivery_stats_updated ON delivery_stats(updated_at);
    `,
  },
  {
    version: 7,
    name: 'agent configs: every published version, and the one the agent applied',
    // Commands are checked against what the agent runs: when it reports `config_applied` with a
    // version, that version's content is copied from the history into applied_config.
    sqlite: `
      CREATE TABLE agent_config_history (station_id TEXT NOT NULL, version INTEGER NOT NULL, config TEXT NOT NULL, set_at TEXT NOT NULL, PRIMARY KEY (station_id, version));
      INSERT INTO agent_config_history (station_id, version, config, set_at) SELECT station_id, version, config, updated_at FROM agent_configs;
      ALTER TABLE agent_configs ADD COLUMN applied_version INTEGER;
      ALTER TABLE agent_configs ADD COLUMN applied_config TEXT;
      ALTER TABLE agent_configs ADD COLUMN applied_at TEXT;
    `,
    postgres: `
      CREATE TABLE agent_config_history (station_id TEXT NOT NULL, version INTEGER NOT NULL, config TEXT NOT NULL, set_at TEXT NOT NULL, PRIMARY KEY (station_id, version));
      INSERT INTO agent_config_history (station_id, version, config, set_at) SELECT station_id, version, config, updated_at FROM agent_configs;
      ALTER TABLE agent_configs ADD COLUMN applied_version INTEGER;
      ALTER TABLE agent_configs ADD COLUMN applied_config TEXT;
      ALTER TABLE agent_configs ADD COLUMN applied_at TEXT;
    `,
  },
  {
    version: 8,
    name: 'cluster: delivery statistics by stay',
    // What each node counted of a device during one stay there, written only by that node: saves
    // of several nodes never overwrite each other, whatever order they land in. The statistics
    // saved so far become each device's first (complete) stay.
    sqlite: `
      CREATE TABLE delivery_stays (
        device_id TEXT NOT NULL, stay_id TEXT NOT NULL, node_id TEXT NOT NULL, started_at INTEGER NOT NULL, first_seq INTEGER,
        stats TEXT NOT NULL, final INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (device_id, stay_id)
      );
      CREATE INDEX delivery_stays_updated ON delivery_stays(updated_at);
      CREATE INDEX delivery_stays_open ON delivery_stays(node_id) WHERE final = 0;
      INSERT INTO delivery_stays (device_id, stay_id, node_id, started_at, first_seq, stats, final, updated_at)
        SELECT device_id, 'saved', '', 0, NULL, stats, 1, updated_at FROM delivery_stats;
    `,
    postgres: `
      CREATE TABLE delivery_stays (
        device_id TEXT NOT NULL, stay_id TEXT NOT NULL, node_id TEXT NOT NULL, started_at BIGINT NOT NULL, first_seq BIGINT,
        stats TEXT NOT NULL, final INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (device_id, stay_id)
      );
      CREATE INDEX delivery_stays_updated ON delivery_stays(updated_at);
      CREATE INDEX delivery_stays_open ON delivery_stays(node_id) WHERE final = 0;
      INSERT INTO delivery_stays (device_id, stay_id, node_id, started_at, first_seq, stats, final, updated_at)
        SELECT device_id, 'saved', '', 0, NULL, stats, 1, updated_at FROM delivery_stats;
    `,
  },
];

export const SCHEMA_MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';
