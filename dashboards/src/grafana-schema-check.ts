/**
 * Our dashboard model checked against Grafana's published schema types (npm @grafana/schema,
 * the TypeScript of Grafana's CUE dashboard schema): `npm run typecheck` — the build step —
 * fails when a dashboard we generate is not a Grafana `Dashboard`. The check is the assignment
 * itself, so it covers every dashboard buildDashboards() returns.
 */
import type { Dashboard as GrafanaDashboard } from '@grafana/schema';
import type { Dashboard } from './grafana-model.ts';
import { buildDashboards } from './build-dashboards.ts';

/** The model without `readonly` (Grafana's generated types use mutable arrays); nothing else changes. */
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;

/**
 * Grafana's type with its string enums (FieldColorModeId, MappingType, …) read as the strings
 * they stand for — dashboard JSON holds the strings; TypeScript would otherwise accept only
 * the enum members. Structure, optionality and the allowed values stay Grafana's.
 */
type AsJson<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? AsJson<U>[] : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T;

/** Our model, checked as Grafana's dashboard JSON (a compile error if it is not one). */
export function asGrafanaDashboard(d: Dashboard): AsJson<GrafanaDashboard> {
  const checked: AsJson<GrafanaDashboard> = d as Mutable<Dashboard>;
  return checked;
}

/** Every generated dashboard as Grafana's type, by file name. */
export function grafanaDashboards(): Record<string, AsJson<GrafanaDashboard>> {
  return Object.fromEntries(Object.entries(buildDashboards()).map(([file, d]) => [file, asGrafanaDashboard(d)]));
}
