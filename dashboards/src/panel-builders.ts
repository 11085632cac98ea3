/**
 * Small builders for panels, targets, variables and annotations, so each dashboard file reads
 * as a list of panels in the terms staff use. Layout is a 24-column grid filled row by row.
 */
import { WARNING_LEVEL_INFO, WARNING_LEVELS } from '@shanshui/models';
import { INFLUX_DATASOURCE } from './grafana-model.ts';
import type {
  AnnotationQuery,
  Dashboard,
  FieldDefaults,
  FieldOverride,
  GridPos,
  InfluxTarget,
  Panel,
  PanelType,
  QueryVariable,
  Threshold,
  Transformation,
  ValueMapping,
  Variable,
} from './grafana-model.ts';

/** A query as written in a panel: InfluxQL, format and legend. */
export interface QuerySpec {
  readonly query: string;
  readonly format?: 'time_series' | 'table';
  readonly alias?: string;
}

export interface PanelSpec {
  readonly type: Exclude<PanelType, 'row'>;
  readonly title: string;
  readonly description?: string;
  /** Width in grid columns (of 24) and height in rows. */
  readonly w: number;
  readonly h: number;
  readonly queries?: readonly QuerySpec[];
  readonly defaults?: FieldDefaults;
  readonly overrides?: readonly FieldOverride[];
  readonly options?: Readonly<Record<string, unknown>>;
  readonly transformations?: readonly Transformation[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function targets(queries: readonly QuerySpec[]): InfluxTarget[] {
  return queries.map((q, i) => ({
    refId: REF_IDS[i]!,
    datasource: INFLUX_DATASOURCE,
    query: q.query,
    rawQuery: true,
    resultFormat: q.format ?? 'time_series',
    ...(q.alias ? { alias: q.alias } : {}),
  }));
}

/**
 * Lays panels out on Grafana's 24-column grid: each panel goes to the highest free spot (then
 * the leftmost), so small panels stack beside a tall map. A string starts a titled row below
 * everything placed so far.
 */
export function layout(items: ReadonlyArray<PanelSpec | string>): Panel[] {
  const panels: Panel[] = [];
  const heights: number[] = new Array<number>(24).fill(0);
  let id = 1;
  for (const item of items) {
    if (typeof item === 'string') {
      const y = Math.max(...heights);
      panels.push({ id: id++, type: 'row', title: item, gridPos: { h: 1, w: 24, x: 0, y }, collapsed: false, panels: [] });
      heights.fill(y + 1);
      continue;
    }
    let best: { x: number; y: number } | undefined;
    for (let x = 0; x + item.w <= 24; x++) {
      const y = Math.max(...heights.slice(x, x + item.w));
      if (!best || y < best.y) best = { x, y };
    }
    if (!best) throw new Error(`panel ${item.title}: width ${item.w} exceeds 24 columns`);
    const gridPos: GridPos = { h: item.h, w: item.w, x: best.x, y: best.y };
    for (let x = best.x; x < best.x + item.w; x++) heights[x] = best.y + item.h;
    panels.push({
      id: id++,
      type: item.type,
      title: item.title,
      ...(item.description ? { description: item.description } : {}),
      gridPos,
      ...(item.queries ? { datasource: INFLUX_DATASOURCE, targets: targets(item.queries) } : {}),
      fieldConfig: { defaults: item.defaults ?? {}, overrides: item.overrides ?? [] },
      options: item.options ?? {},
      ...(item.transformations ? { transformations: item.transformations } : {}),
    });
  }
  return panels;
}

// ── thresholds and mappings ──────────────────────────────────────────────────────────────

export function steps(base: string, ...rest: Array<[number, string]>): FieldDefaults['thresholds'] {
  const list: Threshold[] = [{ color: base, value: null }, ...rest.map(([value, color]) => ({ color, value }))];
  return { mode: 'absolute', steps: list };
}

export function rangeMappings(ranges: ReadonlyArray<{ from: number | null; to: number | null; text: string; color?: string }>): ValueMapping[] {
  return ranges.map((r, index) => ({ type: 'range', options: { from: r.from, to: r.to, result: { text: r.text, ...(r.color ? { color: r.color } : {}), index } } }));
}

export function valueMappings(values: ReadonlyArray<{ value: string | number; text: string; color?: string }>): ValueMapping[] {
  const options: Record<string, { text: string; color?: string; index: number }> = {};
  values.forEach((v, index) => (options[String(v.value)] = { text: v.text, ...(v.color ? { color: v.color } : {}), index }));
  return [{ type: 'value', options }];
}

/** No warning: the map's base colour. */
export const NO_WARNING_COLOR = '#73BF69';

/** Warning rank 1–4 (level_rank) coloured 蓝/黄/橙/红 with the official names. */
export function warningRankField(): FieldDefaults {
  return {
    color: { mode: 'thresholds' },
    thresholds: steps(NO_WARNING_COLOR, ...WARNING_LEVELS.map((l): [number, string] => [WARNING_LEVEL_INFO[l].rank, WARNING_LEVEL_INFO[l].hex])),
    mappings: valueMappings([
      { value: 0, text: '无预警', color: NO_WARNING_COLOR },
      ...WARNING_LEVELS.map((l) => ({ value: WARNING_LEVEL_INFO[l].rank, text: `${WARNING_LEVEL_INFO[l].label}(${WARNING_LEVEL_INFO[l].roman}级)`, color: WARNING_LEVEL_INFO[l].hex })),
    ]),
  };
}

/** Level tag values (blue…red) shown as 蓝色预警… in their colours. */
export function warningLevelMappings(): ValueMapping[] {
  return valueMappings(WARNING_LEVELS.map((l) => ({ value: l, text: WARNING_LEVEL_INFO[l].label, color: WARNING_LEVEL_INFO[l].hex })));
}

export function alertStateMappings(): ValueMapping[] {
  return valueMappings([
    { value: 'firing', text: '发布中', color: 'red' },
    { value: 'escalated', text: '已升级', color: 'dark-red' },
    { value: 'acknowledged', text: '已确认', color: 'orange' },
    { value: 'resolved', text: '已解除', color: 'green' },
  ]);
}

export function byName(name: string, properties: FieldOverride['properties']): FieldOverride {
  return { matcher: { id: 'byName', options: name }, properties };
}

// ── template variables ───────────────────────────────────────────────────────────────────

function queryVariable(name: string, label: string, query: string): QueryVariable {
  return {
    type: 'query',
    name,
    label,
    datasource: INFLUX_DATASOURCE,
    query,
    definition: query,
    refresh: 1,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    sort: 1,
  };
}

/** The InfluxQL condition pinning queries to the given domains. */
export function domainCondition(domains: readonly string[]): string {
  return domains.length === 1 ? `"domain" = '${domains[0]}'` : `"domain" =~ /^(${domains.join('|')})$/`;
}

/**
 * Department, region, (domain) and station, read from `station_info` tags. Each narrows the
 * next; `domains` pins a domain dashboard to its measurement(s) and drops the domain picker.
 */
export function stationVariables(domains?: readonly string[]): Variable[] {
  const domainCond = domains ? domainCondition(domains) : `"domain" =~ /^$domain$/`;
  const vars: Variable[] = [
    queryVariable('dept', '部门', domains ? `SHOW TAG VALUES FROM "station_info" WITH KEY = "dept" WHERE ${domainCond}` : 'SHOW TAG VALUES FROM "station_info" WITH KEY = "dept"'),
    queryVariable('region', '行政区划', `SHOW TAG VALUES FROM "station_info" WITH KEY = "region" WHERE "dept" =~ /^$dept$/${domains ? ` AND ${domainCond}` : ''}`),
  ];
  if (!domains) vars.push(queryVariable('domain', '监测领域', 'SHOW TAG VALUES FROM "station_info" WITH KEY = "domain" WHERE "dept" =~ /^$dept$/ AND "region" =~ /^$region$/'));
  vars.push(queryVariable('station', '站点', `SHOW TAG VALUES FROM "station_info" WITH KEY = "station" WHERE "dept" =~ /^$dept$/ AND "region" =~ /^$region$/ AND ${domainCond}`));
  return vars;
}

/** The WHERE condition every data query carries, matching the template variables. */
export function stationFilter(withDomain = false): string {
  return `"dept" =~ /^$dept$/ AND "region" =~ /^$region$/${withDomain ? ' AND "domain" =~ /^$domain$/' : ''} AND "station" =~ /^$station$/`;
}

/** Per-station time series of one metric: mean per $__interval, one line per station. */
export function metricSeries(measurement: string, metric: string, filter: string, agg: 'mean' | 'max' | 'sum' = 'mean'): QuerySpec {
  return {
    query: `SELECT ${agg}("${metric}") FROM "${measurement}" WHERE $timeFilter AND ${filter} GROUP BY time($__interval), "station" fill(none)`,
    alias: '$tag_station',
  };
}

/** Time series options: lines, legend as a table with last/max, thresholds drawn as coloured bands. */
export function seriesOptions(): Readonly<Record<string, unknown>> {
  return { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'], showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
}

export function seriesCustom(thresholdsStyle: 'off' | 'line+area' | 'area' | 'dashed' = 'line+area'): Readonly<Record<string, unknown>> {
  return { drawStyle: 'line', lineWidth: 1, fillOpacity: 0, spanNulls: true, showPoints: 'never', thresholdsStyle: { mode: thresholdsStyle } };
}

// ── annotations ──────────────────────────────────────────────────────────────────────────

const BUILT_IN_ANNOTATION: AnnotationQuery = {
  name: 'Annotations & Alerts',
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  builtIn: 1,
  type: 'dashboard',
};

/** Alert state changes from `alerts` as annotations: title = level, text = message, tags = station/state. */
export function alertAnnotations(filter: string): AnnotationQuery[] {
  const query = `SELECT "message", "level", "state", "station", "rule" FROM "alerts" WHERE $timeFilter AND ${filter}`;
  return [
    BUILT_IN_ANNOTATION,
    {
      name: '预警 (alerts)',
      datasource: INFLUX_DATASOURCE,
      enable: true,
      iconColor: WARNING_LEVEL_INFO.red.hex,
      query,
      target: { refId: 'Anno', query, rawQuery: true },
      titleColumn: 'level',
      textColumn: 'message',
      tagsColumn: 'station,state,rule',
    },
  ];
}

// ── dashboard ────────────────────────────────────────────────────────────────────────────

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables: readonly Variable[];
  readonly annotations: readonly AnnotationQuery[];
  readonly panels: ReadonlyArray<PanelSpec | string>;
  readonly from?: string;
  readonly refresh?: string;
}

export function dashboard(spec: DashboardSpec): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['shanshui', ...spec.tags],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: spec.refresh ?? '1m',
    schemaVersion: 39,
    version: 1,
    time: { from: spec.from ?? 'now-6h', to: 'now' },
    templating: { list: spec.variables },
    annotations: { list: spec.annotations },
    panels: layout(spec.panels),
    links: [{ title: '山水 Shanshui', type: 'dashboards', tags: ['shanshui'], asDropdown: true, icon: 'external link', includeVars: false, keepTime: true, targetBlank: false, tooltip: '' }],
  };
}
