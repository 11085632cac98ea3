/**
 * The emergency centre's "一张图": every station on one map, coloured by its most severe active
 * warning, with counts by level, department and domain, the latest alerts and alert annotations.
 */
import { DOMAIN_SPECS, DOMAINS, WARNING_LEVEL_INFO } from '@shanshui/models';
import type { Domain , WARNING_LEVELS } from '@shanshui/models';
import type { Dashboard, FieldOverride } from '../grafana-model.ts';
import {
  alertAnnotations,
  alertStateMappings,
  byName,
  dashboard,
  stationFilter,
  stationVariables,
  warningLevelMappings,
  warningRankField,
} from '../panel-builders.ts';
import type { PanelSpec, QuerySpec } from '../panel-builders.ts';
import { ACTIVE, currentAlerts, stationsQuery } from '../influxql.ts';
import { departmentMappings, domainMappings, metricLabel } from '../labels.ts';
import { boardMappings } from '../domain-boards.ts';

/** The metrics each domain shows in the map tooltip (a few, so the tooltip stays readable). */
export const TOOLTIP_METRICS: Readonly<Record<Domain, readonly string[]>> = {
  air: ['pm25', 'pm10', 'o3'],
  water: ['do', 'nh3n', 'tp'],
  soil: ['moisture_rel'],
  reservoir: ['water_level', 'inflow'],
  forest_fire: ['humidity', 'wind_speed'],
  agriculture: ['soil_moisture'],
  noise: ['laeq', 'lmax'],
  pollution_source: ['so2_zs', 'nox_zs', 'o2'],
  river: ['water_level', 'flow'],
  meteorology: ['rainfall', 'temperature'],
  geohazard: ['displacement', 'crack_width'],
};

/** Tooltip column of a metric; domains share metric names (temperature), so the domain prefixes it. */
export function tooltipColumn(domain: Domain, metric: string): string {
  return `${DOMAIN_SPECS[domain].name} ${metricLabel(domain, metric)}`;
}

function latestValues(domain: Domain, filter: string): QuerySpec {
  const fields = TOOLTIP_METRICS[domain].map((m) => `last("${m}") AS "${tooltipColumn(domain, m)}"`).join(', ');
  return { query: `SELECT ${fields} FROM "${domain}" WHERE $timeFilter AND ${filter} GROUP BY "station"`, format: 'table' };
}

export function overviewDashboard(): Dashboard {
  const filter = stationFilter(true);
  const current = currentAlerts(filter);
  const mapQueries: QuerySpec[] = [
    { query: stationsQuery(filter, { board: true }), format: 'table' },
    { query: `SELECT max("rank") AS "warning_rank", "message" AS "warning" FROM (${current}) WHERE ${ACTIVE} GROUP BY "station"`, format: 'table' },
    { query: `SELECT count("rank") AS "active_alerts" FROM (${current}) WHERE ${ACTIVE} GROUP BY "station"`, format: 'table' },
    ...DOMAINS.map((d) => latestValues(d, filter)),
  ];
  const tagColumns: FieldOverride[] = [
    byName('name', [{ id: 'displayName', value: '站名' }]),
    byName('station', [{ id: 'displayName', value: '站点编号' }]),
    byName('dept', [{ id: 'displayName', value: '部门' }, { id: 'mappings', value: departmentMappings() }]),
    byName('domain', [{ id: 'displayName', value: '监测领域' }, { id: 'mappings', value: domainMappings() }]),
    byName('region', [{ id: 'displayName', value: '行政区划' }]),
  ];
  const map: PanelSpec = {
    type: 'geomap',
    title: '一张图 · 站点与当前预警',
    description: '每个站点按其当前最高预警等级着色（绿 = 无预警，蓝/黄/橙/红 = IV/III/II/I 级）。悬停查看站名、部门、最新监测值和有效预警。',
    w: 16,
    h: 20,
    queries: mapQueries,
    transformations: [
      { id: 'joinByField', options: { byField: 'station', mode: 'outer' } },
      { id: 'filterFieldsByName', options: { exclude: { pattern: '^Time( \\d+)?$' } } },
    ],
    defaults: {
      color: { mode: 'thresholds' },
      thresholds: warningRankField().thresholds,
      // From a marker: the station's domain dashboard by its uid (the board column's mappings turn the
      // domain into it), with that station selected and the same time range; and the platform's own
      // 一张图 with the station open.
      links: [
        { title: '领域仪表盘 · ${__data.fields.name}', url: '/d/${__data.fields.board}?var-station=${__data.fields.station}&${__url_time_range}' },
        { title: '在平台一张图中打开（可确认预警）', url: '${platform_url}/?station=${__data.fields.station}', targetBlank: true },
      ],
    },
    overrides: [
      byName('warning_rank', [
        { id: 'displayName', value: '当前预警等级' },
        { id: 'thresholds', value: warningRankField().thresholds },
        { id: 'mappings', value: warningRankField().mappings },
        { id: 'color', value: { mode: 'thresholds' } },
      ]),
      byName('active_alerts', [{ id: 'displayName', value: '有效预警数' }]),
      byName('warning', [{ id: 'displayName', value: '最高级预警' }]),
      byName('lat', [{ id: 'displayName', value: '纬度' }]),
      byName('lon', [{ id: 'displayName', value: '经度' }]),
      byName('board', [{ id: 'displayName', value: '领域仪表盘' }, { id: 'mappings', value: boardMappings() }]),
      ...tagColumns,
    ],
    options: {
      view: { id: 'coords', lat: 23.2, lon: 113.45, zoom: 9, allLayers: true },
      controls: { showZoom: true, mouseWheelZoom: true, showAttribution: true, showScale: true },
      basemap: { type: 'default', name: '底图', config: {} },
      layers: [
        {
          type: 'markers',
          name: '站点',
          config: {
            showLegend: true,
            style: {
              color: { field: 'warning_rank', fixed: '#73BF69' },
              size: { fixed: 9, min: 6, max: 18 },
              symbol: { mode: 'fixed', fixed: 'img/icons/marker/circle.svg' },
              opacity: 0.9,
              text: { mode: 'field', field: 'name', fixed: '' },
              textConfig: { fontSize: 10, offsetX: 0, offsetY: -14, textAlign: 'center', textBaseline: 'middle' },
            },
          },
          location: { mode: 'coords', latitude: 'lat', longitude: 'lon' },
          tooltip: true,
        },
      ],
      tooltip: { mode: 'details' },
    },
  };

  const levelStat = (level: (typeof WARNING_LEVELS)[number]): PanelSpec => {
    const info = WARNING_LEVEL_INFO[level];
    return {
      type: 'stat',
      title: `${info.label}（${info.roman}级 ${info.severity}）`,
      w: 2,
      h: 5,
      queries: [{ query: `SELECT count("rank") AS "${info.label}" FROM (${current}) WHERE ${ACTIVE} AND "rank" = ${info.rank}`, format: 'time_series', alias: info.label }],
      defaults: { noValue: '0', color: { mode: 'fixed', fixedColor: info.hex }, decimals: 0 },
      options: { colorMode: 'background', graphMode: 'none', textMode: 'value', justifyMode: 'center', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
    };
  };

  const groupedCount = (tag: 'dept' | 'domain', title: string, names: Record<string, string>): PanelSpec => ({
    type: 'stat',
    title,
    w: 4,
    h: 5,
    queries: [{ query: `SELECT count("rank") AS "n" FROM (${current}) WHERE ${ACTIVE} GROUP BY "${tag}"`, format: 'time_series', alias: `$tag_${tag}` }],
    defaults: { noValue: '0', decimals: 0, color: { mode: 'fixed', fixedColor: 'orange' } },
    overrides: Object.entries(names).map(([code, name]) => byName(code, [{ id: 'displayName', value: name }])),
    options: { colorMode: 'value', graphMode: 'none', textMode: 'value_and_name', orientation: 'horizontal', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  });

  const alertColumns: FieldOverride[] = [
    byName('level', [{ id: 'displayName', value: '等级' }, { id: 'mappings', value: warningLevelMappings() }, { id: 'custom.cellOptions', value: { type: 'color-background' } }]),
    byName('state', [{ id: 'displayName', value: '状态' }, { id: 'mappings', value: alertStateMappings() }]),
    byName('message', [{ id: 'displayName', value: '预警信息' }]),
    byName('rule', [{ id: 'displayName', value: '规则' }]),
    byName('value', [{ id: 'displayName', value: '触发值' }]),
    byName('alert_id', [{ id: 'displayName', value: '预警编号' }]),
    byName('rank', [{ id: 'custom.hidden', value: true }]),
    ...tagColumns,
  ];

  return dashboard({
    uid: 'shanshui-overview',
    title: '山水 · 应急一张图',
    description: '应急指挥中心总览：全部站点、当前预警、按等级/部门/领域的预警统计、最新预警。',
    tags: ['一张图', 'overview'],
    variables: [
      ...stationVariables(),
      {
        type: 'textbox',
        name: 'platform_url',
        label: '平台地址',
        query: 'http://localhost:8080',
        current: { text: 'http://localhost:8080', value: 'http://localhost:8080' },
        options: [{ selected: true, text: 'http://localhost:8080', value: 'http://localhost:8080' }],
        description: "The platform's web address for the map links (its 一张图 at /); change it here or open the dashboard with ?var-platform_url=https://…",
      },
    ],
    annotations: alertAnnotations(filter),
    refresh: '30s',
    panels: [
      map,
      levelStat('red'),
      levelStat('orange'),
      levelStat('yellow'),
      levelStat('blue'),
      {
        type: 'stat',
        title: '在册站点',
        w: 4,
        h: 5,
        queries: [{ query: `SELECT count("lat") AS "站点" FROM (${stationsQuery(filter)})`, format: 'time_series', alias: '站点' }],
        defaults: { noValue: '0', decimals: 0, color: { mode: 'fixed', fixedColor: 'text' } },
        options: { colorMode: 'none', graphMode: 'none', textMode: 'value', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
      },
      groupedCount('dept', '有效预警 · 按部门', Object.fromEntries(Object.entries(departmentMappings()[0]!.options as Record<string, { text: string }>).map(([k, v]) => [k, v.text]))),
      groupedCount('domain', '有效预警 · 按领域', Object.fromEntries(DOMAINS.map((d) => [d, DOMAIN_SPECS[d].name]))),
      {
        type: 'table',
        title: '有效预警（当前状态）',
        w: 8,
        h: 10,
        queries: [{ query: `SELECT "rank", "level", "state", "message", "value", "alert_id" FROM (${current}) WHERE ${ACTIVE} GROUP BY "station", "rule", "domain", "dept", "region"`, format: 'table' }],
        overrides: alertColumns,
        transformations: [{ id: 'sortBy', options: { sort: [{ field: 'rank', desc: true }] } }],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      {
        type: 'table',
        title: '最新预警动态',
        description: '所选时间范围内每一次预警状态变化（发布、升级、确认、解除），最新在前。',
        w: 24,
        h: 10,
        queries: [
          {
            query: `SELECT "level", "state", "station", "domain", "dept", "region", "rule", "message", "value", "alert_id" FROM "alerts" WHERE $timeFilter AND ${filter} ORDER BY time DESC LIMIT 200`,
            format: 'table',
          },
        ],
        overrides: [...alertColumns, byName('Time', [{ id: 'displayName', value: '时间' }])],
        options: { showHeader: true, cellHeight: 'sm' },
      },
    ],
  });
}
