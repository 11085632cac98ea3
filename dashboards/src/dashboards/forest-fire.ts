/**
 * 森林防火 for forestry staff: the fire-weather factors of the danger index (LY/T 1172: air
 * temperature, relative humidity, wind, rain) with the bands of the local scoring table, fuel
 * moisture, and the smoke/flame detectors. The danger level itself (一级–五级) needs daily
 * max/min and dry-day counts: the rules engine computes it and raises the fire warnings shown
 * here.
 */
import type { Dashboard } from '../grafana-model.ts';
import { dashboard, metricSeries, seriesCustom, seriesOptions, stationVariables, steps, valueMappings } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

export function forestFireDashboard(): Dashboard {
  const f = DOMAIN_FILTER;
  const series = (metric: string, thresholds: ReturnType<typeof steps> | undefined, description?: string): PanelSpec => ({
    type: 'timeseries',
    title: metricLabel('forest_fire', metric),
    ...(description ? { description } : {}),
    w: 8,
    h: 8,
    queries: [metricSeries('forest_fire', metric, f)],
    defaults: { color: { mode: 'palette-classic' }, ...(thresholds ? { thresholds } : {}), custom: seriesCustom(thresholds ? 'area' : 'off') },
    options: seriesOptions(),
  });
  const detector = (metric: 'smoke' | 'flame'): PanelSpec => ({
    type: 'state-timeline',
    title: metricLabel('forest_fire', metric),
    w: 12,
    h: 7,
    queries: [metricSeries('forest_fire', metric, f, 'max' as const)],
    defaults: {
      color: { mode: 'thresholds' },
      thresholds: steps('green', [1, 'red']),
      mappings: valueMappings([
        { value: 0, text: '正常', color: 'green' },
        { value: 1, text: metric === 'smoke' ? '烟雾报警' : '火焰报警', color: 'red' },
      ]),
      custom: { fillOpacity: 80, lineWidth: 0 },
    },
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, legend: { showLegend: false } },
  });
  return dashboard({
    uid: 'shanshui-forest-fire',
    title: '山水 · 森林防火',
    description: '森林防火监测点：火险气象因子（气温、相对湿度、风速、降雨）、可燃物含水率、烟火探测与火险预警。',
    tags: ['forest_fire', 'forestry'],
    variables: stationVariables(['forest_fire']),
    annotations: domainAnnotations(['forest_fire']),
    panels: [
      '火险预警（规则引擎按 LY/T 1172 火险等级发布）',
      activeAlertsTable(['forest_fire'], 24, 7),
      '烟火探测',
      detector('smoke'),
      detector('flame'),
      '火险气象因子（背景色为本地火险评分表分档）',
      series('temperature', steps('green', [10.1, '#FADE2A'], [20.1, '#FF9830'], [25.1, '#F2495C']), '日最高气温评分：≤5 ℃ 0 分 … >25 ℃ 20 分。'),
      series('humidity', steps('#F2495C', [25, '#FF9830'], [45, '#FADE2A'], [65, 'green']), '14 时相对湿度评分：≥65% 0 分 … ≤24% 20 分。'),
      series('wind_speed', steps('green', [3.4, '#FADE2A'], [8, '#FF9830'], [13.9, '#F2495C']), '风力等级评分 ≤1 级 5 分，每级 +5，≥8 级 40 分（3.4/8.0/13.9 m/s = 3/5/7 级起点）。'),
      { ...series('rainfall', undefined), queries: [metricSeries('forest_fire', 'rainfall', f, 'sum')] },
      series('fuel_moisture', steps('#F2495C', [10, '#FF9830'], [15, '#FADE2A'], [25, 'green']), '可燃物含水率越低越易燃。'),
    ],
  });
}
