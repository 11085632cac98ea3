/**
 * 地表水 for water-quality staff: each basic factor per station coloured by its GB 3838-2002
 * class (I–V, 劣V) over time, plus trends. The station's class is the worst factor class
 * (single-factor method) — read it across the class timelines; the rules engine owns the
 * official class and warns on it.
 */
import { GB3838_LIMITS, GB3838_PH_RANGE, WATER_CLASS_LABEL, WATER_CLASSES } from '@shanshui/models';
import type { WaterClass } from '@shanshui/models';
import type { Dashboard, FieldDefaults, ValueMapping } from '../grafana-model.ts';
import { dashboard, metricSeries, rangeMappings, seriesCustom, seriesOptions, stationVariables, steps } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

/**
 * Class colours. GB 3838 fixes no colours; these are the ones Chinese water-quality bulletins
 * and the national real-time platform commonly use (I–II blue, III green, IV yellow, V orange,
 * 劣V red) — the platform's choice.
 */
export const WATER_CLASS_COLOR: Readonly<Record<WaterClass, string>> = {
  I: '#CCFFFF',
  II: '#00CCFF',
  III: '#00FF00',
  IV: '#FFFF00',
  V: '#FF9B00',
  劣V: '#FF0000',
};

const ROMAN: Readonly<Record<WaterClass, string>> = { I: 'Ⅰ类', II: 'Ⅱ类', III: 'Ⅲ类', IV: 'Ⅳ类', V: 'Ⅴ类', 劣V: '劣Ⅴ类' };
const classText = (c: WaterClass): string => `${ROMAN[c]} ${WATER_CLASS_LABEL[c]}`;
/** Grafana range mappings are inclusive at both ends; GB 3838 passes a value equal to a limit. */
const ABOVE = 1e-9;

/** Exact class mappings of a pollutant whose value passes when ≤ limit. */
function upperLimitMappings(limits: readonly number[]): ValueMapping[] {
  return rangeMappings(
    WATER_CLASSES.map((c, i) => ({
      from: i === 0 ? null : limits[i - 1]! + ABOVE,
      to: i < limits.length ? limits[i]! : null,
      text: classText(c),
      color: WATER_CLASS_COLOR[c],
    })),
  );
}

/** DO passes when ≥ limit: class I at ≥ 7.5 … 劣V below 2. */
function lowerLimitMappings(limits: readonly number[]): ValueMapping[] {
  return rangeMappings(
    WATER_CLASSES.map((c, i) => ({
      from: i < limits.length ? limits[i]! : null,
      to: i === 0 ? null : limits[i - 1]! - ABOVE,
      text: classText(c),
      color: WATER_CLASS_COLOR[c],
    })),
  );
}

function upperThresholds(limits: readonly number[]): FieldDefaults['thresholds'] {
  return steps(WATER_CLASS_COLOR.I, ...limits.map((l, i): [number, string] => [l + ABOVE, WATER_CLASS_COLOR[WATER_CLASSES[i + 1]!]]));
}

function lowerThresholds(limits: readonly number[]): FieldDefaults['thresholds'] {
  const rev = [...limits].reverse(); // 2, 3, 5, 6, 7.5
  const classes = [...WATER_CLASSES].reverse(); // 劣V … I
  return steps(WATER_CLASS_COLOR['劣V'], ...rev.map((l, i): [number, string] => [l, WATER_CLASS_COLOR[classes[i + 1]!]]));
}

interface Factor {
  readonly metric: 'do' | 'codmn' | 'nh3n' | 'tp' | 'tn' | 'ph';
  readonly note: string;
  readonly mappings: ValueMapping[];
  readonly thresholds: FieldDefaults['thresholds'];
}

const FACTORS: readonly Factor[] = [
  { metric: 'do', note: '≥ 限值达标', mappings: lowerLimitMappings(GB3838_LIMITS.do), thresholds: lowerThresholds(GB3838_LIMITS.do) },
  { metric: 'codmn', note: '≤ 限值达标', mappings: upperLimitMappings(GB3838_LIMITS.codmn), thresholds: upperThresholds(GB3838_LIMITS.codmn) },
  { metric: 'nh3n', note: '≤ 限值达标', mappings: upperLimitMappings(GB3838_LIMITS.nh3n), thresholds: upperThresholds(GB3838_LIMITS.nh3n) },
  {
    metric: 'tp',
    note: '按河流限值；湖库站点（水体类型 lake）适用更严的湖库限值，以规则引擎的判定为准',
    mappings: upperLimitMappings(GB3838_LIMITS.tp_river),
    thresholds: upperThresholds(GB3838_LIMITS.tp_river),
  },
  { metric: 'tn', note: '湖库限值；河流常规评价不含总氮', mappings: upperLimitMappings(GB3838_LIMITS.tn), thresholds: upperThresholds(GB3838_LIMITS.tn) },
  {
    metric: 'ph',
    note: `${GB3838_PH_RANGE[0]}–${GB3838_PH_RANGE[1]} 达标，超出为劣Ⅴ类`,
    mappings: rangeMappings([
      { from: null, to: GB3838_PH_RANGE[0] - ABOVE, text: classText('劣V'), color: WATER_CLASS_COLOR['劣V'] },
      { from: GB3838_PH_RANGE[0], to: GB3838_PH_RANGE[1], text: '达标 (6–9)', color: WATER_CLASS_COLOR.II },
      { from: GB3838_PH_RANGE[1] + ABOVE, to: null, text: classText('劣V'), color: WATER_CLASS_COLOR['劣V'] },
    ]),
    thresholds: steps(WATER_CLASS_COLOR['劣V'], [GB3838_PH_RANGE[0], WATER_CLASS_COLOR.II], [GB3838_PH_RANGE[1] + ABOVE, WATER_CLASS_COLOR['劣V']]),
  },
];

export function waterDashboard(): Dashboard {
  const f = DOMAIN_FILTER;
  const panels: Array<PanelSpec | string> = ['各因子水质类别（GB 3838-2002 单因子评价）'];
  for (const factor of FACTORS) {
    const label = metricLabel('water', factor.metric);
    panels.push(
      {
        type: 'state-timeline',
        title: `${label} · 类别`,
        description: `GB 3838-2002 表 1 限值（${factor.note}）。`,
        w: 12,
        h: 7,
        queries: [metricSeries('water', factor.metric, f)],
        defaults: { color: { mode: 'thresholds' }, thresholds: factor.thresholds, mappings: factor.mappings, custom: { fillOpacity: 80, lineWidth: 0 } },
        options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, alignValue: 'left', legend: { showLegend: false } },
      },
      {
        type: 'timeseries',
        title: label,
        w: 12,
        h: 7,
        queries: [metricSeries('water', factor.metric, f)],
        defaults: { color: { mode: 'palette-classic' }, thresholds: factor.thresholds, custom: seriesCustom('area') },
        options: seriesOptions(),
      },
    );
  }
  panels.push(
    '其他指标',
    ...(['turbidity', 'conductivity', 'water_temperature'] as const).map(
      (metric): PanelSpec => ({
        type: 'timeseries',
        title: metricLabel('water', metric),
        w: 8,
        h: 7,
        queries: [metricSeries('water', metric, f)],
        defaults: { color: { mode: 'palette-classic' }, custom: seriesCustom('off') },
        options: seriesOptions(),
      }),
    ),
    '预警',
    activeAlertsTable(['water']),
  );
  return dashboard({
    uid: 'shanshui-water',
    title: '山水 · 地表水水质',
    description: '地表水自动监测站：各基本项目按 GB 3838-2002 Ⅰ–Ⅴ类/劣Ⅴ类着色的类别时间线与趋势。',
    tags: ['water', 'eco-env'],
    variables: stationVariables(['water']),
    annotations: domainAnnotations(['water']),
    from: 'now-24h',
    panels,
  });
}
