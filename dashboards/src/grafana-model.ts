/**
 * The slice of Grafana's dashboard JSON model (schemaVersion 39, Grafana 11/12) that Shanshui's
 * dashboards use, typed so that a generator mistake is a compile error rather than a blank
 * panel in the emergency centre.
 */

/** The provisioned InfluxDB datasource; the uid is fixed in provisioning/datasources/shanshui.yaml. */
export const INFLUX_DATASOURCE_UID = 'shanshui-influxdb';
export const INFLUX_DATASOURCE: DataSourceRef = { type: 'influxdb', uid: INFLUX_DATASOURCE_UID };

export interface DataSourceRef {
  readonly type: 'influxdb';
  readonly uid: string;
}

export interface InfluxTarget {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  /** Raw InfluxQL with Grafana macros ($timeFilter, $__interval, $dept …). */
  readonly query: string;
  readonly rawQuery: true;
  readonly resultFormat: 'time_series' | 'table';
  /** Legend of a time series; `$tag_station` names a series by its station. */
  readonly alias?: string;
}

export interface Threshold {
  readonly color: string;
  /** null is the base step (Grafana's "-Infinity"). */
  readonly value: number | null;
}

export type ValueMapping =
  | { readonly type: 'value'; readonly options: Readonly<Record<string, { readonly text: string; readonly color?: string; readonly index: number }>> }
  | { readonly type: 'range'; readonly options: { readonly from: number | null; readonly to: number | null; readonly result: { readonly text: string; readonly color?: string; readonly index: number } } };

export interface FieldDefaults {
  readonly unit?: string;
  readonly decimals?: number;
  readonly min?: number;
  readonly max?: number;
  readonly displayName?: string;
  readonly noValue?: string;
  readonly color?: { readonly mode: 'thresholds' | 'palette-classic' | 'fixed'; readonly fixedColor?: string };
  readonly thresholds?: { readonly mode: 'absolute'; readonly steps: readonly Threshold[] };
  readonly mappings?: readonly ValueMapping[];
  readonly custom?: Readonly<Record<string, unknown>>;
  /** Data links: `${__data.fields.name}` is the value of a field of the clicked row. */
  readonly links?: ReadonlyArray<{ readonly title: string; readonly url: string; readonly targetBlank?: boolean }>;
}

export interface FieldOverride {
  readonly matcher: { readonly id: 'byName' | 'byRegexp'; readonly options: string };
  readonly properties: ReadonlyArray<{ readonly id: string; readonly value: unknown }>;
}

export interface Transformation {
  readonly id: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Applies the transformation to one query's result only (Grafana 10.1+). Default: all. */
  readonly filter?: { readonly id: 'byRefId'; readonly options: string };
}

export interface GridPos {
  readonly h: number;
  readonly w: number;
  readonly x: number;
  readonly y: number;
}

export type PanelType = 'geomap' | 'stat' | 'table' | 'timeseries' | 'state-timeline' | 'bargauge' | 'text' | 'row';

export interface Panel {
  readonly id: number;
  readonly type: PanelType;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: GridPos;
  readonly datasource?: DataSourceRef;
  readonly targets?: readonly InfluxTarget[];
  readonly fieldConfig?: { readonly defaults: FieldDefaults; readonly overrides: readonly FieldOverride[] };
  readonly options?: Readonly<Record<string, unknown>>;
  readonly transformations?: readonly Transformation[];
  readonly collapsed?: boolean;
  readonly panels?: readonly Panel[];
}

export interface QueryVariable {
  readonly type: 'query';
  readonly name: string;
  readonly label: string;
  readonly datasource: DataSourceRef;
  /** InfluxQL `SHOW TAG VALUES …`; may reference earlier variables. */
  readonly query: string;
  readonly definition: string;
  readonly refresh: 1 | 2;
  readonly multi: boolean;
  readonly includeAll: boolean;
  /** Rendered for "All": a regex, so 10,000 stations never become one giant alternation. */
  readonly allValue?: string;
  readonly current: { readonly text: string | readonly string[]; readonly value: string | readonly string[]; readonly selected?: boolean };
  readonly options: readonly never[];
  readonly sort: 1;
  readonly hide?: 0 | 2;
}

export interface ConstantVariable {
  readonly type: 'textbox';
  readonly name: string;
  readonly label: string;
  readonly query: string;
  readonly current: { readonly text: string; readonly value: string };
  readonly options: ReadonlyArray<{ readonly selected: boolean; readonly text: string; readonly value: string }>;
  readonly description?: string;
}

export type Variable = QueryVariable | ConstantVariable;

export interface AnnotationQuery {
  readonly name: string;
  readonly datasource: DataSourceRef | { readonly type: 'grafana'; readonly uid: '-- Grafana --' };
  readonly enable: boolean;
  readonly hide?: boolean;
  readonly iconColor: string;
  readonly builtIn?: 1;
  readonly type?: 'dashboard';
  /** InfluxQL; Grafana reads the first time column, and the text/tags columns named below. */
  readonly query?: string;
  readonly target?: { readonly refId: string; readonly query: string; readonly rawQuery: true };
  readonly textColumn?: string;
  readonly tagsColumn?: string;
  readonly titleColumn?: string;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly timezone: 'browser';
  readonly editable: false;
  readonly graphTooltip: 1;
  readonly refresh: string;
  readonly schemaVersion: 39;
  readonly version: 1;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly Variable[] };
  readonly annotations: { readonly list: readonly AnnotationQuery[] };
  readonly panels: readonly Panel[];
  readonly links: ReadonlyArray<{
    readonly title: string;
    readonly type: 'dashboards' | 'link';
    readonly tags: readonly string[];
    readonly asDropdown: boolean;
    readonly icon: string;
    readonly includeVars: boolean;
    readonly keepTime: boolean;
    readonly targetBlank: boolean;
    readonly tooltip: string;
    readonly url?: string;
  }>;
}
