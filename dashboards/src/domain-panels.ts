/** Panels every domain dashboard shares: the domain's active alerts and its alert annotations. */
import type { Domain } from '@shanshui/models';
import type { AnnotationQuery } from './grafana-model.ts';
import { alertAnnotations, alertStateMappings, byName, domainCondition, stationFilter, warningLevelMappings } from './panel-builders.ts';
import type { PanelSpec } from './panel-builders.ts';
import { ACTIVE, currentAlerts } from './influxql.ts';

/** The station filter of a domain dashboard (no domain picker; the measurement is the domain). */
export const DOMAIN_FILTER = stationFilter(false);

export function domainAlertFilter(domains: readonly Domain[]): string {
  return `${DOMAIN_FILTER} AND ${domainCondition(domains)}`;
}

export function domainAnnotations(domains: readonly Domain[]): AnnotationQuery[] {
  return alertAnnotations(domainAlertFilter(domains));
}

export function activeAlertsTable(domains: readonly Domain[], w = 24, h = 8): PanelSpec {
  return {
    type: 'table',
    title: '有效预警',
    w,
    h,
    queries: [
      {
        query: `SELECT "rank", "level", "state", "message", "value" FROM (${currentAlerts(domainAlertFilter(domains))}) WHERE ${ACTIVE} GROUP BY "station", "rule"`,
        format: 'table',
      },
    ],
    overrides: [
      byName('level', [{ id: 'displayName', value: '等级' }, { id: 'mappings', value: warningLevelMappings() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]),
      byName('state', [{ id: 'displayName', value: '状态' }, { id: 'mappings', value: alertStateMappings() }]),
      byName('message', [{ id: 'displayName', value: '预警信息' }]),
      byName('value', [{ id: 'displayName', value: '触发值' }]),
      byName('station', [{ id: 'displayName', value: '站点' }]),
      byName('rule', [{ id: 'displayName', value: '规则' }]),
      byName('rank', [{ id: 'custom.hidden', value: true }]),
    ],
    transformations: [{ id: 'sortBy', options: { sort: [{ field: 'rank', desc: true }] } }],
    options: { showHeader: true, cellHeight: 'sm' },
  };
}
