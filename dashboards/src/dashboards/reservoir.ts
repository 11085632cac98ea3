/**
 * 水库水情 for water-resources staff: reservoir level against the characteristic levels
 * (汛限水位, 设计洪水位, 校核洪水位), storage, inflow/outflow and rainfall.
 *
 * The characteristic levels are per-station attributes in the registry (floodLimitLevel,
 * designFloodLevel, checkFloodLevel), not in InfluxDB; Grafana thresholds cannot read them. The
 * dashboard therefore takes them as text variables (defaults = the demo reservoirs) and draws
 * them as reference lines; the authoritative comparison is the rules engine's reservoir alert.
 */
import type { Dashboard } from '../grafana-model.ts';
import type { ConstantVariable } from '../grafana-model.ts';
import { byName, dashboard, metricSeries, seriesCustom, seriesOptions, stationVariables } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

function levelVariable(name: string, label: string, value: string, description: string): ConstantVariable {
  return { type: 'textbox', name, label, query: value, current: { text: value, value }, options: [{ selected: true, text: value, value }], description };
}

export const RESERVOIR_LEVEL_VARIABLES: readonly ConstantVariable[] = [
  levelVariable('flood_limit', '汛限水位 (m)', '103', '所选水库的汛限水位（防洪限制水位），站点属性 floodLimitLevel'),
  levelVariable('design_flood', '设计洪水位 (m)', '106.5', '站点属性 designFloodLevel'),
  levelVariable('check_flood', '校核洪水位 (m)', '108.2', '站点属性 checkFloodLevel'),
];

export function reservoirDashboard(): Dashboard {
  const f = DOMAIN_FILTER;
  const series = (metric: string, w = 8, agg: 'mean' | 'sum' = 'mean'): PanelSpec => ({
    type: 'timeseries',
    title: metricLabel('reservoir', metric),
    w,
    h: 7,
    queries: [metricSeries('reservoir', metric, f, agg)],
    defaults: { color: { mode: 'palette-classic' }, custom: agg === 'sum' ? { ...seriesCustom('off'), drawStyle: 'bars', fillOpacity: 60 } : seriesCustom('off') },
    options: seriesOptions(),
  });
  const line = (name: string, color: string) =>
    byName(name, [
      { id: 'color', value: { mode: 'fixed', fixedColor: color } },
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'custom.lineWidth', value: 2 },
    ]);
  return dashboard({
    uid: 'shanshui-reservoir',
    title: '山水 · 水库水情',
    description: '水库站库水位与汛限水位、设计洪水位、校核洪水位对比，蓄水量、出入库流量与降雨。',
    tags: ['reservoir', 'water'],
    variables: [...stationVariables(['reservoir']), ...RESERVOIR_LEVEL_VARIABLES],
    annotations: domainAnnotations(['reservoir']),
    from: 'now-24h',
    panels: [
      '库水位与特征水位',
      {
        type: 'table',
        title: '各站当前水位',
        description: '超汛限 = 库水位 − 汛限水位（正值即超汛限）。特征水位取自上方变量，请按所选水库填写。',
        w: 8,
        h: 10,
        queries: [
          {
            query: `SELECT last("water_level") AS "库水位", last("water_level") - $flood_limit AS "超汛限", $design_flood - last("water_level") AS "距设计洪水位", last("storage") AS "蓄水量" FROM "reservoir" WHERE time > now() - 6h AND ${f} GROUP BY "station"`,
            format: 'table',
          },
        ],
        transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { station: '站点' } } }],
        defaults: { decimals: 2, unit: 'lengthm' },
        overrides: [
          byName('超汛限', [
            { id: 'thresholds', value: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 0.000001 }] } },
            { id: 'custom.cellOptions', value: { type: 'color-text' } },
          ]),
          byName('蓄水量', [{ id: 'unit', value: 'none' }, { id: 'displayName', value: '蓄水量 (万m³)' }, { id: 'decimals', value: 0 }]),
        ],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      {
        type: 'timeseries',
        title: '库水位与特征水位 (m)',
        w: 16,
        h: 10,
        queries: [
          metricSeries('reservoir', 'water_level', f),
          {
            query: `SELECT mean("water_level") * 0 + $flood_limit AS "汛限水位", mean("water_level") * 0 + $design_flood AS "设计洪水位", mean("water_level") * 0 + $check_flood AS "校核洪水位" FROM "reservoir" WHERE $timeFilter AND ${f} GROUP BY time($__interval) fill(none)`,
            alias: '$col',
          },
        ],
        defaults: { unit: 'lengthm', color: { mode: 'palette-classic' }, custom: seriesCustom('off') },
        overrides: [line('汛限水位', '#FF9830'), line('设计洪水位', '#F2495C'), line('校核洪水位', '#8F1D2A')],
        options: seriesOptions(),
      },
      '蓄水与来水',
      series('storage'),
      series('inflow'),
      series('outflow'),
      { ...series('rainfall', 24, 'sum'), title: `${metricLabel('reservoir', 'rainfall')} · 时段累计` },
      '预警',
      activeAlertsTable(['reservoir']),
    ],
  });
}
