/**
 * Prometheus metrics of the platform (one registry per platform instance, so tests can run
 * several). What the publish path counts per message (accepted, refused, sequence verdicts,
 * dead letters, accept latency) is plain numbers handed to prom-client at scrape time
 * (metrics/tally-*.ts); the rest are prom-client metrics, touched per batch or per event.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledTallyCounter, TallyCounter } from './metrics/tally-counter.ts';
import { TallyHistogram } from './metrics/tally-histogram.ts';

export interface PlatformMetrics {
  readonly registry: Registry;
  readonly messagesAccepted: LabelledTallyCounter<'kind'>;
  readonly readingsAccepted: TallyCounter;
  readonly readingsImplausible: TallyCounter;
  readonly deadLetters: LabelledTallyCounter<'code'>;
  readonly publishRefused: LabelledTallyCounter<'code'>;
  readonly sequence: LabelledTallyCounter<'verdict'>;
  readonly pointsWritten: TallyCounter;
  readonly influxWriteErrors: Counter<'kind'>;
  readonly influxUp: Gauge;
  readonly influxdRestarts: Counter;
  readonly spoolRecords: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolMaxBytes: Gauge;
  readonly connectedDevices: Gauge;
  readonly acceptLatency: TallyHistogram;
  readonly writeLatency: Histogram;
  readonly alertTransitions: Counter<'state' | 'level'>;
  readonly ruleFlushMessages: TallyCounter;
  readonly ruleFlushCommits: TallyCounter;
  readonly ruleFlushTransitions: TallyCounter;
  readonly webhookDeliveries: Counter<'result'>;
  readonly webhookOutboxPending: Gauge;
  readonly webhookOutboxDead: Gauge;
  readonly authFailures: Counter<'kind'>;
  readonly authLockouts: Counter<'kind'>;
  /**
   * When this node last began a read of the rules / webhook subscriptions now in force (Unix
   * seconds): every change stored before it is in force here. The sources are set by whoever
   * holds them (start-warnings.ts); a source not set yet gives no sample.
   */
  readonly storeReadAt: { readonly gauge: Gauge<'what'>; readonly sources: Map<StoreReadKind, () => number | undefined> };
}

/** What a node reads again from the store every `storeReloadMs` (shanshui_store_read_timestamp_seconds{what}). */
export type StoreReadKind = 'rules' | 'subscriptions';

export function createMetrics(): PlatformMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shanshui_process_' });
  const r = [registry];
  const storeReadSources = new Map<StoreReadKind, () => number | undefined>();
  return {
    registry,
    messagesAccepted: new LabelledTallyCounter({ name: 'shanshui_messages_accepted_total', help: 'MQTT messages accepted (durable), by kind', label: 'kind', registry }),
    readingsAccepted: new TallyCounter({ name: 'shanshui_readings_accepted_total', help: 'Readings accepted into the spool', registry }),
    readingsImplausible: new TallyCounter({ name: 'shanshui_values_implausible_total', help: 'Values stored with quality "implausible" (outside the plausible physical range)', registry }),
    deadLetters: new LabelledTallyCounter({ name: 'shanshui_dead_letters_total', help: 'Payloads or readings kept in the dead-letter store, by error code', label: 'code', registry }),
    publishRefused: new LabelledTallyCounter({ name: 'shanshui_mqtt_refused_total', help: 'Connections and publishes refused, by error code', label: 'code', registry }),
    sequence: new LabelledTallyCounter({ name: 'shanshui_sequence_events_total', help: 'Per-device sequence verdicts (gap, duplicate, late, reset, …)', label: 'verdict', registry }),
    pointsWritten: new TallyCounter({ name: 'shanshui_influx_points_written_total', help: 'Points written to InfluxDB', registry }),
    influxWriteErrors: new Counter({ name: 'shanshui_influx_write_errors_total', help: 'Failed InfluxDB writes (retryable or refused)', labelNames: ['kind'], registers: r }),
    influxdRestarts: new Counter({ name: 'shanshui_influxd_restarts_total', help: 'Successful restarts of the managed influxd after it exited unasked (crash, OOM kill)', registers: r }),
    influxUp: new Gauge({ name: 'shanshui_influx_up', help: '1 when the last InfluxDB write succeeded', registers: r }),
    spoolRecords: new Gauge({ name: 'shanshui_spool_depth_records', help: 'Messages waiting in the durable spool for InfluxDB', registers: r }),
    spoolBytes: new Gauge({ name: 'shanshui_spool_depth_bytes', help: 'Bytes waiting in the durable spool', registers: r }),
    spoolMaxBytes: new Gauge({ name: 'shanshui_spool_max_bytes', help: 'Spool bound; publishes are refused past it', registers: r }),
    connectedDevices: new Gauge({ name: 'shanshui_connected_devices', help: 'Devices connected to the MQTT broker', registers: r }),
    acceptLatency: new TallyHistogram({ name: 'shanshui_accept_seconds', help: 'Publish received → durable in spool', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registry }),
    writeLatency: new Histogram({ name: 'shanshui_influx_write_seconds', help: 'Duration of one InfluxDB batch write', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: r }),
    alertTransitions: new Counter({ name: 'shanshui_alert_transitions_total', help: 'Alert state changes (firing, escalated, acknowledged, resolved), by level', labelNames: ['state', 'level'], registers: r }),
    ruleFlushMessages: new TallyCounter({ name: 'shanshui_rule_flush_messages_total', help: 'Durable readings messages the rules evaluated (in flushes, off the publish path)', registry }),
    ruleFlushCommits: new TallyCounter({ name: 'shanshui_rule_flush_commits_total', help: 'Store transactions committing the rules\' alert changes and rule states (one per flush that changed an alert)', registry }),
    ruleFlushTransitions: new TallyCounter({ name: 'shanshui_rule_flush_transitions_total', help: 'Rule transitions committed by the rules\' flushes', registry }),
    webhookDeliveries: new Counter({ name: 'shanshui_webhook_deliveries_total', help: 'Webhook delivery attempts by result (ok, failed = will retry, dead = budget spent)', labelNames: ['result'], registers: r }),
    webhookOutboxPending: new Gauge({ name: 'shanshui_webhook_outbox_pending', help: 'Webhook deliveries waiting in the outbox (incl. backing off)', registers: r }),
    webhookOutboxDead: new Gauge({ name: 'shanshui_webhook_outbox_dead', help: 'Webhook deliveries dead after their retry budget (redeliver through the API)', registers: r }),
    authFailures: new Counter({ name: 'shanshui_auth_failures_total', help: 'Bad credentials counted toward a lockout, by kind (api: bearer tokens; mqtt: device secrets)', labelNames: ['kind'], registers: r }),
    authLockouts: new Counter({ name: 'shanshui_auth_lockouts_total', help: 'Lockouts after repeated bad credentials, by kind (api: an address; mqtt: a device id or an address)', labelNames: ['kind'], registers: r }),
    storeReadAt: {
      sources: storeReadSources,
      gauge: new Gauge({
        name: 'shanshui_store_read_timestamp_seconds',
        help: 'When this node began the last read of the rules / webhook subscriptions now in force, Unix seconds: every change stored before it is in force here (read again every storeReloadMs)',
        labelNames: ['what'],
        registers: r,
        collect() {
          for (const [what, readAtMs] of storeReadSources) {
            const ms = readAtMs();
            if (ms !== undefined) this.set({ what }, ms / 1000);
          }
        },
      }),
    },
  };
}
