/**
 * 平台运行 for the operators, from what InfluxDB holds: readings stored per minute by domain,
 * stations reporting, stations gone quiet, device status, edge gateways' health (from the
 * agent heartbeats), device events, alert activity. Spool depth, dead letters, webhook
 * deliveries and MQTT connections are Prometheus metrics at the platform's /metrics (no
 * Prometheus in the default stack; see dashboards/README.md).
 */
import { DOMAINS, DOMAIN_SPECS } from '@shanshui/models';
import type { Domain } from '@shanshui/models';
import type { Dashboard } from '../grafana-model.ts';
import { byName, dashboard, seriesCustom, seriesOptions, stationFilter, stationVariables } from '../panel-builders.ts';
import type { QuerySpec } from '../panel-builders.ts';
import { gatewayPanels } from '../gateway-panels.ts';

/** A metric every station of the domain reports with each reading, to count readings by. */
export const HEARTBEAT_METRIC: Readonly<Record<Domain, string>> = {
  air: 'pm25',
  water: 'ph',
  soil: 'moisture_rel',
  reservoir: 'water_level',
  forest_fire: 'temperature',
  agriculture: 'soil_moisture',
  noise: 'laeq',
  pollution_source: 'o2',
  river: 'water_level',
  meteorology: 'rainfall',
  geohazard: 'rainfall',
};

export function platformHealthDashboard(): Dashboard {
  const f = stationFilter(true);
  const perDomain = (build: (d: Domain) => QuerySpec): QuerySpec[] => DOMAINS.map(build);
  return dashboard({
    uid: 'shanshui-platform-health',
    title: '山水 · 平台运行',
    description: '入库速率、上报站点、静默站点、设备状态、边缘网关（心跳：缓存积压、上行链路、数据源）、设备事件、预警活动（来自 InfluxDB）。缓冲队列深度、死信、Webhook 投递与 MQTT 连接数见 /metrics（Prometheus）。',
    tags: ['platform', 'ops'],
    variables: stationVariables(),
    annotations: [],
    from: 'now-3h',
    refresh: '30s',
    panels: [
      '数据入库',
      {
        type: 'timeseries',
        title: '每分钟入库读数 · 按领域',
        w: 16,
        h: 8,
        queries: perDomain((d) => ({
          query: `SELECT count("${HEARTBEAT_METRIC[d]}") FROM "${d}" WHERE $timeFilter AND ${f} GROUP BY time(1m) fill(0)`,
          alias: DOMAIN_SPECS[d].name,
        })),
        defaults: { unit: 'short', decimals: 0, color: { mode: 'palette-classic' }, custom: { ...seriesCustom('off'), stacking: { mode: 'normal', group: 'A' }, fillOpacity: 30 } },
        options: seriesOptions(),
      },
      {
        type: 'stat',
        title: '近 15 分钟上报站点',
        w: 8,
        h: 8,
        queries: perDomain((d) => ({
          query: `SELECT count("n") FROM (SELECT count("${HEARTBEAT_METRIC[d]}") AS "n" FROM "${d}" WHERE time > now() - 15m AND ${f} GROUP BY "station")`,
          alias: DOMAIN_SPECS[d].name,
        })),
        defaults: { noValue: '0', decimals: 0, color: { mode: 'fixed', fixedColor: 'green' } },
        options: { colorMode: 'value', graphMode: 'none', textMode: 'value_and_name', orientation: 'horizontal', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
      },
      {
        type: 'table',
        title: '各站最后上报时间（最久未报在前）',
        description: '近 7 天内每站最后一条读数的时间；排在最前的是静默最久的站点。离线告警由规则引擎（stale 规则）发布。',
        w: 12,
        h: 10,
        queries: perDomain((d) => ({ query: `SELECT last("${HEARTBEAT_METRIC[d]}") AS "value" FROM "${d}" WHERE time > now() - 7d AND ${f} GROUP BY "station"`, format: 'table' })),
        transformations: [
          { id: 'merge', options: {} },
          { id: 'organize', options: { excludeByName: { value: true }, renameByName: { Time: '最后上报', station: '站点' } } },
          { id: 'sortBy', options: { sort: [{ field: '最后上报', desc: false }] } },
        ],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      {
        type: 'table',
        title: '设备状态（最新 up/status）',
        w: 12,
        h: 10,
        queries: [{ query: `SELECT last("online") AS "online" FROM "device_status" WHERE time > now() - 30d AND ${f} GROUP BY "station", "domain"`, format: 'table' }],
        defaults: {},
        overrides: [
          byName('online', [
            { id: 'displayName', value: '在线' },
            {
              id: 'mappings',
              value: [{ type: 'value', options: { '0': { text: '离线', color: 'red', index: 0 }, '1': { text: '在线', color: 'green', index: 1 } } }],
            },
            { id: 'custom.cellOptions', value: { type: 'color-text' } },
          ]),
          byName('Time', [{ id: 'displayName', value: '状态时间' }]),
        ],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      '边缘网关',
      ...gatewayPanels(f),
      '设备事件与预警活动',
      {
        type: 'table',
        title: '设备事件（up/events）',
        w: 12,
        h: 9,
        queries: [{ query: `SELECT * FROM "device_events" WHERE $timeFilter AND ${f} ORDER BY time DESC LIMIT 100`, format: 'table' }],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      {
        type: 'timeseries',
        title: '预警状态变化 · 按状态',
        w: 12,
        h: 9,
        queries: [{ query: `SELECT count("level_rank") FROM "alerts" WHERE $timeFilter AND ${f} GROUP BY time($__interval), "state" fill(0)`, alias: '$tag_state' }],
        defaults: { decimals: 0, color: { mode: 'palette-classic' }, custom: { ...seriesCustom('off'), drawStyle: 'bars', fillOpacity: 60, stacking: { mode: 'normal', group: 'A' } } },
        options: seriesOptions(),
      },
    ],
  });
}
