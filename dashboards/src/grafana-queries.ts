/**
 * What Grafana would send to InfluxDB for a dashboard: every panel target, annotation and
 * template-variable query, and the macro rendering of Grafana's InfluxDB datasource, so tests
 * can run them against a real InfluxDB without a Grafana server.
 */
import type { Dashboard, Panel, Variable } from './grafana-model.ts';

export interface ExtractedQuery {
  readonly kind: 'panel' | 'annotation' | 'variable';
  /** Panel title / annotation name / variable name, plus refId. */
  readonly where: string;
  readonly panelType?: string;
  readonly query: string;
}

function panelsOf(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

export function extractQueries(d: Dashboard): ExtractedQuery[] {
  const out: ExtractedQuery[] = [];
  for (const p of panelsOf(d.panels)) {
    for (const t of p.targets ?? []) out.push({ kind: 'panel', where: `${p.title} [${t.refId}]`, panelType: p.type, query: t.query });
  }
  for (const a of d.annotations.list) {
    const q = a.target?.query ?? a.query;
    if (q) out.push({ kind: 'annotation', where: a.name, query: q });
  }
  for (const v of d.templating.list) if (v.type === 'query') out.push({ kind: 'variable', where: v.name, query: v.query });
  return out;
}

/** Grafana's regex escaping of a variable value inside `=~ /^$var$/` (influxSpecialRegexEscape). */
export function influxRegexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

export interface Interpolation {
  /** Dashboard time range, epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
  /** `$__interval`, e.g. `1m`. */
  readonly interval: string;
  /** Selected values per variable; `'$__all'` selects All (the variable's allValue). */
  readonly selected: Readonly<Record<string, readonly string[] | '$__all'>>;
}

/**
 * Renders a query as Grafana's InfluxDB datasource does: `$timeFilter` → `time >= …ms and
 * time <= …ms`, `$__interval`/`$interval`, multi-value variables as `(a|b)` with regex
 * escaping, a single value escaped, All as the allValue unescaped, textbox variables verbatim.
 */
export function interpolate(query: string, variables: readonly Variable[], ctx: Interpolation): string {
  let q = query
    .replaceAll('$timeFilter', `time >= ${ctx.fromMs}ms and time <= ${ctx.toMs}ms`)
    .replaceAll('$__interval_ms', String(parseIntervalMs(ctx.interval)))
    .replaceAll('$__interval', ctx.interval)
    .replace(/\$interval\b/g, ctx.interval);
  // Longest names first so $station never eats $station_x.
  const vars = [...variables].sort((a, b) => b.name.length - a.name.length);
  for (const v of vars) {
    let rendered: string;
    if (v.type === 'textbox') rendered = v.current.value;
    else {
      const sel = ctx.selected[v.name] ?? '$__all';
      if (sel === '$__all') rendered = v.allValue ?? '.*';
      else {
        const escaped = sel.map(influxRegexEscape);
        rendered = escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
      }
    }
    q = q.replace(new RegExp(`\\$${v.name}(?![A-Za-z0-9_])`, 'g'), () => rendered);
  }
  return q;
}

function parseIntervalMs(interval: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(interval);
  if (!m) throw new Error(`bad interval ${interval}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Names of `$variables` a query still contains after interpolation (should be none). */
export function leftoverVariables(query: string): string[] {
  return [...query.matchAll(/\$[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0]);
}
