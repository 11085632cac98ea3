/**
 * 墒情与智慧农业 for agriculture staff: relative soil moisture against the drought levels
 * (GB/T 32136-2015 §5.2: 轻旱 ≤ 60 %, 中旱 ≤ 50 %, 重旱 ≤ 40 %, 特旱 ≤ 30 %), and the field
 * climate of agriculture plots.
 */
import { DEFAULT_DROUGHT_THRESHOLDS, DROUGHT_LEVEL_LABEL } from '@shanshui/models';
import type { Dashboard, FieldDefaults, ValueMapping } from '../grafana-model.ts';
import { dashboard, metricSeries, rangeMappings, seriesCustom, seriesOptions, stationVariables, steps } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

const T = DEFAULT_DROUGHT_THRESHOLDS;
/** Drought levels are "R ≤ threshold"; Grafana ranges are inclusive, so the next level starts just above. */
const ABOVE = 1e-9;
export const DROUGHT_COLOR = { none: '#73BF69', light: '#FADE2A', moderate: '#FF9830', severe: '#F2495C', extreme: '#8F1D2A' } as const;

export function droughtMappings(): ValueMapping[] {
  return rangeMappings([
    { from: null, to: T.extreme, text: DROUGHT_LEVEL_LABEL.extreme, color: DROUGHT_COLOR.extreme },
    { from: T.extreme + ABOVE, to: T.severe, text: DROUGHT_LEVEL_LABEL.severe, color: DROUGHT_COLOR.severe },
    { from: T.severe + ABOVE, to: T.moderate, text: DROUGHT_LEVEL_LABEL.moderate, color: DROUGHT_COLOR.moderate },
    { from: T.moderate + ABOVE, to: T.light, text: DROUGHT_LEVEL_LABEL.light, color: DROUGHT_COLOR.light },
    { from: T.light + ABOVE, to: null, text: DROUGHT_LEVEL_LABEL.none, color: DROUGHT_COLOR.none },
  ]);
}

export function droughtThresholds(): FieldDefaults['thresholds'] {
  return steps(
    DROUGHT_COLOR.extreme,
    [T.extreme + ABOVE, DROUGHT_COLOR.severe],
    [T.severe + ABOVE, DROUGHT_COLOR.moderate],
    [T.moderate + ABOVE, DROUGHT_COLOR.light],
    [T.light + ABOVE, DROUGHT_COLOR.none],
  );
}

export function soilAgricultureDashboard(): Dashboard {
  const f = DOMAIN_FILTER;
  const rel = metricLabel('soil', 'moisture_rel');
  const series = (domain: 'soil' | 'agriculture', metric: string, w = 8): PanelSpec => ({
    type: 'timeseries',
    title: metricLabel(domain, metric),
    w,
    h: 7,
    queries: [metricSeries(domain, metric, f)],
    defaults: { color: { mode: 'palette-classic' }, custom: seriesCustom('off') },
    options: seriesOptions(),
  });
  return dashboard({
    uid: 'shanshui-soil-agriculture',
    title: '山水 · 墒情与智慧农业',
    description: '土壤墒情站相对湿度与农业干旱等级（GB/T 32136-2015），农业物联网地块的田间气候。',
    tags: ['soil', 'agriculture', 'agri'],
    variables: stationVariables(['soil', 'agriculture']),
    annotations: domainAnnotations(['soil', 'agriculture']),
    from: 'now-7d',
    refresh: '5m',
    panels: [
      '墒情（土壤相对湿度 % 田间持水量）与干旱等级',
      {
        type: 'bargauge',
        title: '各站当前墒情',
        description: `近 6 小时最新值。无旱 > ${T.light}%，轻旱 ≤ ${T.light}%，中旱 ≤ ${T.moderate}%，重旱 ≤ ${T.severe}%，特旱 ≤ ${T.extreme}%（阈值可按作物与省份调整，见 models DEFAULT_DROUGHT_THRESHOLDS）。`,
        w: 8,
        h: 14,
        queries: [{ query: `SELECT last("moisture_rel") FROM "soil" WHERE time > now() - 6h AND ${f} GROUP BY "station"`, alias: '$tag_station' }],
        defaults: { unit: 'percent', min: 0, max: 120, decimals: 1, color: { mode: 'thresholds' }, thresholds: droughtThresholds(), mappings: [] },
        options: { orientation: 'horizontal', displayMode: 'basic', showUnfilled: true, valueMode: 'color', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
      },
      {
        type: 'state-timeline',
        title: '干旱等级',
        w: 16,
        h: 7,
        queries: [metricSeries('soil', 'moisture_rel', f)],
        defaults: { color: { mode: 'thresholds' }, thresholds: droughtThresholds(), mappings: droughtMappings(), custom: { fillOpacity: 80, lineWidth: 0 } },
        options: { showValue: 'auto', mergeValues: true, rowHeight: 0.8, legend: { showLegend: false } },
      },
      {
        type: 'timeseries',
        title: rel,
        w: 16,
        h: 7,
        queries: [metricSeries('soil', 'moisture_rel', f)],
        defaults: { unit: 'percent', color: { mode: 'palette-classic' }, thresholds: droughtThresholds(), custom: seriesCustom('line+area') },
        options: seriesOptions(),
      },
      series('soil', 'moisture_vol'),
      series('soil', 'temperature'),
      series('soil', 'ec'),
      '智慧农业地块',
      {
        ...series('agriculture', 'soil_moisture', 12),
        description: '农业物联网传感器报告的土壤湿度（体积含水量 %）；干旱等级按墒情站的相对湿度评定。',
      },
      series('agriculture', 'air_temperature', 12),
      series('agriculture', 'air_humidity'),
      series('agriculture', 'light'),
      series('agriculture', 'co2'),
      '预警',
      activeAlertsTable(['soil', 'agriculture']),
    ],
  });
}
