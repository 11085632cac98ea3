/**
 * Dashboards of the catalogue's domains (issue #15), one per domain, each from the catalogue's
 * metric names and units: 声环境 noise against the GB 3096 zone limits, 污染源 stacks and outlets
 * with 折算 concentrations and daily emission totals, 河道水文 river levels, 气象 rainfall, and
 * 地质灾害 landslide points. Standards: docs/standards/ (gb3096-noise.md, pollution-source.md,
 * river-flood.md, gbt28592-rain.md, geohazard.md).
 */
import { GB3096_LIMITS, NOISE_ZONES } from '@shanshui/models';
import type { Domain } from '@shanshui/models';
import type { Dashboard } from '../grafana-model.ts';
import { dashboard, metricSeries, seriesCustom, seriesOptions, stationVariables } from '../panel-builders.ts';
import type { PanelSpec } from '../panel-builders.ts';
import { metricLabel } from '../labels.ts';
import { DOMAIN_FILTER, activeAlertsTable, domainAnnotations } from '../domain-panels.ts';

const f = DOMAIN_FILTER;

function series(domain: Domain, metric: string, w = 12, agg: 'mean' | 'max' | 'sum' = 'mean', description?: string): PanelSpec {
  return {
    type: 'timeseries',
    title: metricLabel(domain, metric),
    ...(description ? { description } : {}),
    w,
    h: 7,
    queries: [metricSeries(domain, metric, f, agg)],
    defaults: { color: { mode: 'palette-classic' }, custom: seriesCustom('off') },
    options: seriesOptions(),
  };
}

/** Latest value of `metric` per station as horizontal bars. */
function latestBars(domain: Domain, metric: string, title: string, description: string, w = 12): PanelSpec {
  return {
    type: 'bargauge',
    title,
    description,
    w,
    h: 10,
    queries: [{ query: `SELECT last("${metric}") FROM "${domain}" WHERE time > now() - 6h AND ${f} GROUP BY "station"`, alias: '$tag_station' }],
    defaults: { color: { mode: 'palette-classic' }, mappings: [] },
    options: { orientation: 'horizontal', displayMode: 'basic', showUnfilled: true, valueMode: 'color', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

/** Daily totals of an emission total field (`<metric>_cou`) per station, as bars. */
function dailyTotals(domain: Domain, field: string, w = 8): PanelSpec {
  return {
    type: 'timeseries',
    title: `${metricLabel(domain, field)} · 日排放量`,
    description: '每日合计（HJ 212 Cou 之和，北京时间自然日）。',
    w,
    h: 8,
    queries: [{ query: `SELECT sum("${field}") FROM "${domain}" WHERE $timeFilter AND ${f} GROUP BY time(1d, -8h), "station" fill(none)`, alias: '$tag_station' }],
    defaults: { color: { mode: 'palette-classic' }, custom: { ...seriesCustom('off'), drawStyle: 'bars', fillOpacity: 60 } },
    options: seriesOptions(),
  };
}

export function noiseDashboard(): Dashboard {
  const limits = NOISE_ZONES.map((z) => `${z} 类 ${GB3096_LIMITS[z].day}/${GB3096_LIMITS[z].night}`).join('，');
  return dashboard({
    uid: 'shanshui-noise',
    title: '山水 · 声环境',
    description: `功能区声环境自动监测：等效声级与统计声级。GB 3096-2008 限值（昼/夜 dB(A)）：${limits}；夜间突发噪声不超过限值 15 dB(A)。`,
    tags: ['noise', 'eco-env'],
    variables: stationVariables(['noise']),
    annotations: domainAnnotations(['noise']),
    from: 'now-2d',
    refresh: '1m',
    panels: [
      '等效声级',
      latestBars('noise', 'laeq', '各点当前等效声级 LAeq', `近 6 小时最新值。限值按测点的功能区类别（站点属性 noiseZone）与昼夜时段：${limits}。`),
      series('noise', 'laeq'),
      series('noise', 'lmax', 12, 'max', '最大声级；夜间超过夜间限值 15 dB(A) 即为突发噪声超标（GB 3096）。'),
      series('noise', 'l10', 8),
      series('noise', 'l50', 8),
      series('noise', 'l90', 8),
      '预警',
      activeAlertsTable(['noise']),
    ],
  });
}

export function pollutionSourceDashboard(): Dashboard {
  return dashboard({
    uid: 'shanshui-pollution-source',
    title: '山水 · 污染源在线监测',
    description: '废气、废水排放口在线监测：实测与折算浓度（C折 = C × (21 − O2基准) / (21 − O2实测)），含氧量、流量与排放量（HJ 212 Cou）；超标按各排放口排污许可限值（站点属性 limit_<因子>）。',
    tags: ['pollution_source', 'eco-env'],
    variables: stationVariables(['pollution_source']),
    annotations: domainAnnotations(['pollution_source']),
    from: 'now-2d',
    refresh: '1m',
    panels: [
      '折算浓度',
      latestBars('pollution_source', 'so2_zs', '各排放口二氧化硫折算浓度', '近 6 小时最新值（mg/m³），与许可限值比较。', 8),
      latestBars('pollution_source', 'nox_zs', '各排放口氮氧化物折算浓度', '近 6 小时最新值（mg/m³），与许可限值比较。', 8),
      latestBars('pollution_source', 'dust_zs', '各排放口颗粒物折算浓度', '近 6 小时最新值（mg/m³），与许可限值比较。', 8),
      series('pollution_source', 'so2_zs', 8),
      series('pollution_source', 'nox_zs', 8),
      series('pollution_source', 'dust_zs', 8),
      '工况',
      series('pollution_source', 'o2', 8),
      series('pollution_source', 'gas_flow', 8),
      series('pollution_source', 'flue_temperature', 8),
      '排放量',
      dailyTotals('pollution_source', 'so2_cou'),
      dailyTotals('pollution_source', 'nox_cou'),
      dailyTotals('pollution_source', 'dust_cou'),
      '预警',
      activeAlertsTable(['pollution_source']),
    ],
  });
}

export function riverDashboard(): Dashboard {
  return dashboard({
    uid: 'shanshui-river',
    title: '山水 · 河道水文',
    description: '河道水位、流量与降雨；洪水预警按各站警戒水位、保证水位、历史最高水位（水利部水情预警：超警戒 蓝，接近保证 黄，超保证 橙，超历史最高 红）。',
    tags: ['river', 'water'],
    variables: stationVariables(['river']),
    annotations: domainAnnotations(['river']),
    from: 'now-3d',
    refresh: '1m',
    panels: [
      '水情',
      latestBars('river', 'water_level', '各站当前水位', '近 6 小时最新值（m）；各站警戒/保证水位见站点属性。', 8),
      { ...series('river', 'water_level', 16), description: '水位过程线。' },
      series('river', 'flow'),
      series('river', 'rainfall', 12, 'sum'),
      '预警',
      activeAlertsTable(['river']),
    ],
  });
}

export function meteorologyDashboard(): Dashboard {
  return dashboard({
    uid: 'shanshui-meteorology',
    title: '山水 · 气象与降雨',
    description: '雨量与气象要素。降雨等级（GB/T 28592-2012，24 小时）：小雨 < 10，中雨 10–24.9，大雨 25–49.9，暴雨 50–99.9，大暴雨 100–249.9，特大暴雨 ≥ 250 mm；暴雨预警信号：12 小时 50 mm 蓝，6 小时 50 mm 黄，3 小时 50 mm 橙，3 小时 100 mm 红。',
    tags: ['meteorology', 'meteo'],
    variables: stationVariables(['meteorology']),
    annotations: domainAnnotations(['meteorology']),
    from: 'now-2d',
    refresh: '1m',
    panels: [
      '降雨',
      {
        type: 'bargauge',
        title: '各站 24 小时累计降雨',
        description: '近 24 小时各站降雨之和（mm）。',
        w: 8,
        h: 10,
        queries: [{ query: `SELECT sum("rainfall") FROM "meteorology" WHERE time > now() - 24h AND ${f} GROUP BY "station"`, alias: '$tag_station' }],
        defaults: { unit: 'lengthmm', color: { mode: 'palette-classic' }, mappings: [] },
        options: { orientation: 'horizontal', displayMode: 'basic', showUnfilled: true, valueMode: 'color', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
      },
      {
        type: 'timeseries',
        title: '逐时降雨',
        w: 16,
        h: 10,
        queries: [{ query: `SELECT sum("rainfall") FROM "meteorology" WHERE $timeFilter AND ${f} GROUP BY time(1h), "station" fill(none)`, alias: '$tag_station' }],
        defaults: { unit: 'lengthmm', color: { mode: 'palette-classic' }, custom: { ...seriesCustom('off'), drawStyle: 'bars', fillOpacity: 60 } },
        options: seriesOptions(),
      },
      '气象要素',
      series('meteorology', 'temperature', 8),
      series('meteorology', 'humidity', 8),
      series('meteorology', 'wind_speed', 8),
      '预警',
      activeAlertsTable(['meteorology']),
    ],
  });
}

export function geohazardDashboard(): Dashboard {
  return dashboard({
    uid: 'shanshui-geohazard',
    title: '山水 · 地质灾害监测',
    description: '滑坡、崩塌监测点：GNSS 地表位移、裂缝、深部位移、孔隙水压力与降雨。变形预警按改进切线角法（等速 45°，初加速 > 45° 蓝，中加速 > 80° 黄，加加速 > 85° 橙，临滑 ≥ 89° 红；各点等速速率见站点属性 constantRateMmPerDay）；降雨预警按各点 24 小时雨量阈值。',
    tags: ['geohazard', 'natres'],
    variables: stationVariables(['geohazard']),
    annotations: domainAnnotations(['geohazard']),
    from: 'now-7d',
    refresh: '1m',
    panels: [
      '变形',
      latestBars('geohazard', 'displacement', '各点累计位移', '近 6 小时最新值（mm）。', 8),
      { ...series('geohazard', 'displacement', 16), description: '累计位移–时间曲线：切线角由其斜率与等速速率之比求得。' },
      series('geohazard', 'crack_width', 8),
      series('geohazard', 'pore_pressure', 8),
      series('geohazard', 'rainfall', 8, 'sum'),
      '预警',
      activeAlertsTable(['geohazard']),
    ],
  });
}
