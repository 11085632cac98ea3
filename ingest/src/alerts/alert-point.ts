/**
 * An alert state change as a point of InfluxDB measurement `alerts` — a fixed schema that the
 * dashboards rely on: tags station, domain, region, dept, rule, level (blue|yellow|orange|red),
 * state (firing|escalated|acknowledged|resolved); fields level_rank (float 1–4), message (string),
 * value (float), alert_id (string).
 */
import { warningLevelRank } from '@shanshui/models';
import type { PointData } from '@shanshui/models';
import type { Alert, AlertEvent } from './alert.ts';

export function alertPoint(alert: Alert, event: AlertEvent): PointData {
  return {
    measurement: 'alerts',
    tags: { station: alert.stationId, domain: alert.domain, region: alert.region, dept: alert.department, rule: alert.ruleId, level: event.level, state: event.type },
    fields: { level_rank: warningLevelRank(event.level), message: event.message, value: event.value, alert_id: alert.id },
    ts: Date.parse(event.at),
  };
}
