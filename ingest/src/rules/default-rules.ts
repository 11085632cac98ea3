/**
 * Rules every domain ships with, seeded into a new database once (then data like any other
 * rule: departments change, override with `replaces`, or delete them). Levels come from the
 * national standards through DEFAULT_LEVEL_MAPS; the rate, trend, data-quality and detector
 * rules are the platform's choices (data-quality bounds deliberately wide: a false
 * maintenance alert costs a site visit).
 */
import type { RuleInput } from './rule-schema.ts';

export const DEFAULT_RULES: readonly RuleInput[] = [
  { id: 'default-air-aqi', name: '空气质量指数 AQI 分级预警（HJ 633）', kind: 'classification', classifier: 'aqi', scope: { domain: 'air' } },
  { id: 'default-water-class', name: '地表水水质类别预警（GB 3838）', kind: 'classification', classifier: 'water_class', scope: { domain: 'water' } },
  {
    id: 'default-water-nh3n-jump',
    name: '氨氮 1 小时突增',
    kind: 'rate_of_change',
    metric: 'nh3n',
    direction: 'rise',
    windowSec: 3600,
    levels: { blue: 0.5, yellow: 1.0, orange: 2.0 },
    scope: { domain: 'water' },
  },
  { id: 'default-soil-drought', name: '农业干旱等级预警（GB/T 32136 相对湿度）', kind: 'classification', classifier: 'drought', metric: 'moisture_rel', scope: { domain: 'soil' } },
  { id: 'default-reservoir-level', name: '水库特征水位预警（汛限/防洪高/设计/校核洪水位）', kind: 'classification', classifier: 'reservoir_level', scope: { domain: 'reservoir' } },
  {
    id: 'default-reservoir-rise',
    name: '库水位 1 小时上涨',
    kind: 'rate_of_change',
    metric: 'water_level',
    direction: 'rise',
    windowSec: 3600,
    levels: { blue: 0.5, yellow: 1.0, orange: 2.0 },
    scope: { domain: 'reservoir' },
  },
  { id: 'default-forest-smoke', name: '烟雾探测报警', kind: 'threshold', metric: 'smoke', op: 'above', levels: { yellow: 0.5 }, scope: { domain: 'forest_fire' } },
  { id: 'default-forest-flame', name: '火焰探测报警', kind: 'threshold', metric: 'flame', op: 'above', levels: { orange: 0.5 }, scope: { domain: 'forest_fire' } },
  {
    id: 'default-reservoir-trend',
    name: '库水位趋势预警（按 1 小时涨率预计 1 小时内超过特征水位）',
    kind: 'trend',
    metric: 'water_level',
    windowSec: 3600,
    horizonSec: 3600,
    minSamples: 4,
    levels: { blue: 'floodLimitLevel', orange: 'designFloodLevel', red: 'checkFloodLevel' },
    scope: { domain: 'reservoir' },
  },
  { id: 'default-forest-fire-danger', name: '森林火险等级预警（LY/T 1172）', kind: 'classification', classifier: 'fire_danger', scope: { domain: 'forest_fire' } },
  {
    id: 'default-air-pm25-quality',
    name: 'PM2.5 传感器数据质量（突变、恒值）',
    kind: 'data_quality',
    metric: 'pm25',
    spike: { window: 30, k: 8, minJump: 150, minSamples: 10 },
    flatline: { minDurationSec: 3 * 3600, minCount: 12 },
    scope: { domain: 'air' },
  },
  {
    id: 'default-reservoir-level-quality',
    name: '库水位计数据质量（突变）',
    kind: 'data_quality',
    metric: 'water_level',
    spike: { window: 20, k: 10, minJump: 2, minSamples: 10 },
    scope: { domain: 'reservoir' },
  },
  { id: 'default-station-stale', name: '站点离线（超过 3 个上报周期无数据）', kind: 'stale', expectedIntervalSec: 300, factor: 3, level: 'blue' },
];
