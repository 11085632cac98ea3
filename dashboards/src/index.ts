export { INFLUX_DATASOURCE, INFLUX_DATASOURCE_UID } from './grafana-model.ts';
export type {
  AnnotationQuery,
  ConstantVariable,
  Dashboard,
  DataSourceRef,
  FieldDefaults,
  InfluxTarget,
  Panel,
  QueryVariable,
  Variable,
} from './grafana-model.ts';
export { buildDashboards, dashboardJson } from './build-dashboards.ts';
export { extractQueries, interpolate, influxRegexEscape, leftoverVariables } from './grafana-queries.ts';
export type { ExtractedQuery, Interpolation } from './grafana-queries.ts';
export { iaqiExpression, AQI_COLUMNS, ALERT_LOOKBACK, currentAlerts, stationsQuery } from './influxql.ts';
export { TOOLTIP_METRICS, tooltipColumn } from './dashboards/overview.ts';
export { DOMAIN_BOARD_UID, boardMappings } from './domain-boards.ts';
export { HEARTBEAT_METRIC } from './dashboards/platform-health.ts';
export { GATEWAY_LOOKBACK } from './gateway-panels.ts';
