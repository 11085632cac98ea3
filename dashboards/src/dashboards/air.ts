/**
 * 环境空气质量 for eco-environment staff: real-time AQI per HJ 633-2012 with the official level
 * names and colours, IAQI per pollutant (the largest is the primary pollutant), pollutant and
 * weather trends.
 */
import { AQI_LEVELS } from '@shanshui/models';
import type { Dashboard, FieldDefaults } from '../grafana-model.ts';
import { byName, dashboard, metricSeries, rangeMappings, seriesCustom, seriesOptions, stationVariables, steps } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { AQI_COLUMNS, iaqiExpression } from '../influxql.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

/** AQI/IAQI coloured and named per HJ 633 level (一级 优 … 六级 严重污染). */
export function aqiField(): FieldDefaults {
  return {
    decimals: 0,
    min: 0,
    color: { mode: 'thresholds' },
    thresholds: steps(AQI_LEVELS[0]!.color.hex, ...AQI_LEVELS.slice(1).map((l): [number, string] => [l.aqiMin, l.color.hex])),
    mappings: rangeMappings(AQI_LEVELS.map((l) => ({ from: l.aqiMin, to: l.level === 6 ? null : l.aqiMax + 0.999, text: `${l.levelName} ${l.category}`, color: l.color.hex }))),
  };
}

/** Concentration thresholds coloured with the AQI colours at a pollutant's breakpoints. */
function concentrationThresholds(breakpoints: readonly number[]): FieldDefaults['thresholds'] {
  return steps(AQI_LEVELS[0]!.color.hex, ...breakpoints.slice(1, 6).map((bp, i): [number, string] => [bp, AQI_LEVELS[i + 1]!.color.hex]));
}

export function airDashboard(): Dashboard {
  const f = DOMAIN_FILTER;
  const iaqiColumns = AQI_COLUMNS.map((c) => `${iaqiExpression(c.metric, `mean("${c.metric}")`)} AS "${c.column}"`).join(', ');
  const pollutant = (metric: string, breakpoints: readonly number[], note: string): PanelSpec => ({
    type: 'timeseries',
    title: metricLabel('air', metric),
    description: `背景色为 HJ 633 浓度限值分级（${note}）。`,
    w: 8,
    h: 8,
    queries: [metricSeries('air', metric, f)],
    defaults: { unit: 'none', color: { mode: 'palette-classic' }, thresholds: concentrationThresholds(breakpoints), custom: seriesCustom('area') },
    options: seriesOptions(),
  });
  return dashboard({
    uid: 'shanshui-air',
    title: '山水 · 环境空气质量',
    description: '环境空气自动监测：实时 AQI（HJ 633-2012）、首要污染物、六项污染物与气象要素。',
    tags: ['air', 'eco-env'],
    variables: stationVariables(['air']),
    annotations: domainAnnotations(['air']),
    panels: [
      '实时空气质量指数 AQI（HJ 633-2012，近 1 小时均值）',
      {
        type: 'table',
        title: '各站实时 AQI 与分指数',
        description:
          'IAQI 由近 60 分钟均值按 HJ 633 分段线性公式在 InfluxQL 中计算（PM 用 24 小时限值，SO2/NO2/CO/O3 用 1 小时限值，与平台 computeRealtimeAqi 一致）；AQI = 各 IAQI 最大值，AQI > 50 时分指数最大者即首要污染物（该格颜色最深）。',
        w: 24,
        h: 9,
        queries: [{ query: `SELECT ${iaqiColumns} FROM "air" WHERE time > now() - 1h AND ${f} GROUP BY "station"`, format: 'table' }],
        transformations: [
          { id: 'calculateField', options: { mode: 'reduceRow', reduce: { reducer: 'max', include: AQI_COLUMNS.map((c) => c.column) }, alias: 'AQI', replaceFields: false } },
          { id: 'organize', options: { excludeByName: { Time: true }, indexByName: { station: 0, AQI: 1 }, renameByName: { station: '站点' } } },
          { id: 'sortBy', options: { sort: [{ field: 'AQI', desc: true }] } },
        ],
        defaults: { ...aqiField(), custom: { cellOptions: { type: 'color-background' }, align: 'center' } },
        overrides: [byName('AQI', [{ id: 'custom.width', value: 160 }])],
        options: { showHeader: true, cellHeight: 'sm' },
      },
      '污染物浓度（μg/m³，CO 为 mg/m³）',
      pollutant('pm25', [0, 35, 75, 115, 150, 250], 'PM2.5 24 小时限值'),
      pollutant('pm10', [0, 50, 150, 250, 350, 420], 'PM10 24 小时限值'),
      pollutant('o3', [0, 160, 200, 300, 400, 800], 'O3 1 小时限值'),
      pollutant('no2', [0, 100, 200, 700, 1200, 2340], 'NO2 1 小时限值'),
      pollutant('so2', [0, 150, 500, 650, 800, 1600], 'SO2 1 小时限值'),
      pollutant('co', [0, 5, 10, 35, 60, 90], 'CO 1 小时限值'),
      '气象要素',
      ...(['temperature', 'humidity', 'wind_speed'] as const).map(
        (metric): PanelSpec => ({
          type: 'timeseries',
          title: metricLabel('air', metric),
          w: 8,
          h: 7,
          queries: [metricSeries('air', metric, f)],
          defaults: { color: { mode: 'palette-classic' }, custom: seriesCustom('off') },
          options: seriesOptions(),
        }),
      ),
      '预警',
      activeAlertsTable(['air']),
    ],
  });
}
