/** Prometheus metrics of the platform (one registry per platform instance, so tests can run several). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PlatformMetrics {
  readonly registry: Registry;
  readonly messagesAccepted: Counter<'kind'>;
  readonly readingsAccepted: Counter;
  readonly readingsImplausible: Counter;
  readonly deadLetters: Counter<'code'>;
  readonly publishRefused: Counter<'code'>;
  readonly sequence: Counter<'verdict'>;
  readonly pointsWritten: Counter;
  readonly influxWriteErrors: Counter<'kind'>;
  readonly influxUp: Gauge;
  readonly influxdRestarts: Counter;
  readonly spoolRecords: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolMaxBytes: Gauge;
  readonly connectedDevices: Gauge;
  readonly acceptLatency: Histogram;
  readonly writeLatency: Histogram;
  readonly alertTransitions: Counter<'state' | 'level'>;
  readonly webhookDeliveries: Counter<'result'>;
  readonly webhookOutboxPending: Gauge;
  readonly webhookOutboxDead: Gauge;
  readonly authFailures: Counter<'kind'>;
  readonly authLockouts: Counter<'kind'>;
}

export function createMetrics(): PlatformMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shanshui_process_' });
  const r = [registry];
  return {
    registry,
    messagesAccepted: new Counter({ name: 'shanshui_messages_accepted_total', help: 'MQTT messages accepted (durable), by kind', labelNames: ['kind'], registers: r }),
    readingsAccepted: new Counter({ name: 'shanshui_readings_accepted_total', help: 'Readings accepted into the spool', registers: r }),
    readingsImplausible: new Counter({ name: 'shanshui_values_implausible_total', help: 'Values stored with quality "implausible" (outside the plausible physical range)', registers: r }),
    deadLetters: new Counter({ name: 'shanshui_dead_letters_total', help: 'Payloads or readings kept in the dead-letter store, by error code', labelNames: ['code'], registers: r }),
    publishRefused: new Counter({ name: 'shanshui_mqtt_refused_total', help: 'Connections and publishes refused, by error code', labelNames: ['code'], registers: r }),
    sequence: new Counter({ name: 'shanshui_sequence_events_total', help: 'Per-device sequence verdicts (gap, duplicate, late, reset, …)', labelNames: ['verdict'], registers: r }),
    pointsWritten: new Counter({ name: 'shanshui_influx_points_written_total', help: 'Points written to InfluxDB', registers: r }),
    influxWriteErrors: new Counter({ name: 'shanshui_influx_write_errors_total', help: 'Failed InfluxDB writes (retryable or refused)', labelNames: ['kind'], registers: r }),
    influxdRestarts: new Counter({ name: 'shanshui_influxd_restarts_total', help: 'Successful restarts of the managed influxd after it exited unasked (crash, OOM kill)', registers: r }),
    influxUp: new Gauge({ name: 'shanshui_influx_up', help: '1 when the last InfluxDB write succeeded', registers: r }),
    spoolRecords: new Gauge({ name: 'shanshui_spool_depth_records', help: 'Messages waiting in the durable spool for InfluxDB', registers: r }),
    spoolBytes: new Gauge({ name: 'shanshui_spool_depth_bytes', help: 'Bytes waiting in the durable spool', registers: r }),
    spoolMaxBytes: new Gauge({ name: 'shanshui_spool_max_bytes', help: 'Spool bound; publishes are refused past it', registers: r }),
    connectedDevices: new Gauge({ name: 'shanshui_connected_devices', help: 'Devices connected to the MQTT broker', registers: r }),
    acceptLatency: new Histogram({ name: 'shanshui_accept_seconds', help: 'Publish received → durable in spool', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers: r }),
    writeLatency: new Histogram({ name: 'shanshui_influx_write_seconds', help: 'Duration of one InfluxDB batch write', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: r }),
    alertTransitions: new Counter({ name: 'shanshui_alert_transitions_total', help: 'Alert state changes (firing, escalated, acknowledged, resolved), by level', labelNames: ['state', 'level'], registers: r }),
    webhookDeliveries: new Counter({ name: 'shanshui_webhook_deliveries_total', help: 'Webhook delivery attempts by result (ok, failed = will retry, dead = budget spent)', labelNames: ['result'], registers: r }),
    webhookOutboxPending: new Gauge({ name: 'shanshui_webhook_outbox_pending', help: 'Webhook deliveries waiting in the outbox (incl. backing off)', registers: r }),
    webhookOutboxDead: new Gauge({ name: 'shanshui_webhook_outbox_dead', help: 'Webhook deliveries dead after their retry budget (redeliver through the API)', registers: r }),
    authFailures: new Counter({ name: 'shanshui_auth_failures_total', help: 'Bad credentials counted toward a lockout, by kind (api: bearer tokens; mqtt: device secrets)', labelNames: ['kind'], registers: r }),
    authLockouts: new Counter({ name: 'shanshui_auth_lockouts_total', help: 'Lockouts after repeated bad credentials, by kind (api: an address; mqtt: a device id or an address)', labelNames: ['kind'], registers: r }),
  };
}
