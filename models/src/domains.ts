/**
 * The station domains, their metrics, units and plausible physical ranges — read from the
 * catalogue data (catalogue/data/domains.json, docs/catalogue.md), not written here.
 *
 * A value outside its plausible range is still stored (regulators want raw data kept) but is
 * flagged `implausible`. Ranges are deliberately wide: they catch broken sensors and unit
 * mix-ups, not pollution episodes.
 */
import { CATALOGUE } from './catalogue/catalogue.ts';
import type { MetricDef } from './catalogue/catalogue-schema.ts';
import { DOMAINS } from './domain-ids.ts';
import type { Domain } from './domain-ids.ts';

export { DOMAINS, isDomain } from './domain-ids.ts';
export type { Domain } from './domain-ids.ts';

/** A metric as the catalogue defines it (name, nameEn, unit, precision, range, HJ 212 codes, SL 651 element …). */
export type MetricSpec = MetricDef;

export interface DomainSpec {
  /** Chinese name. */
  readonly name: string;
  readonly nameEn: string;
  /** Classifiers of the rule engine for this domain. */
  readonly classifications: readonly string[];
  readonly metrics: Readonly<Record<string, MetricSpec>>;
}

function byId(metrics: readonly MetricDef[]): Record<string, MetricSpec> {
  return Object.fromEntries(metrics.map((m) => [m.id, m]));
}

/** Metrics any station may report about its own device (power, radio). */
export const COMMON_METRICS: Readonly<Record<string, MetricSpec>> = byId(CATALOGUE.common);

export const DOMAIN_SPECS: Readonly<Record<Domain, DomainSpec>> = (() => {
  const listed = CATALOGUE.domains.map((d) => d.id);
  if (listed.length !== DOMAINS.length || !DOMAINS.every((d) => listed.includes(d))) {
    throw new Error(`MODELS_ERR_CATALOGUE_INVALID: domains.json lists ${listed.join(', ')}; models knows ${DOMAINS.join(', ')}`);
  }
  return Object.fromEntries(
    CATALOGUE.domains.map((d) => [d.id, { name: d.name, nameEn: d.nameEn, classifications: d.classifications, metrics: byId(d.metrics) }]),
  ) as unknown as Record<Domain, DomainSpec>;
})();

/** Field suffix → what it holds, for HJ 212 statistics and 折算 values of a metric. */
export const STAT_FIELD_SUFFIXES = ['_zs_min', '_zs_max', '_zs', '_min', '_max', '_cou'] as const;
export type StatFieldSuffix = (typeof STAT_FIELD_SUFFIXES)[number];

/** Splits `so2_zs_max` into `so2` and `_zs_max`; a plain metric has no suffix. */
export function splitStatField(field: string): { metric: string; suffix?: StatFieldSuffix } {
  for (const suffix of STAT_FIELD_SUFFIXES) {
    if (field.length > suffix.length && field.endsWith(suffix)) return { metric: field.slice(0, -suffix.length), suffix };
  }
  return { metric: field };
}

/**
 * The spec of a field against a metric table: a metric itself, or one of its statistics —
 * `_min`/`_max` (same unit), `_cou` (the emission total, in `couUnit`; only when the metric has
 * one), `_zs`/`_zs_min`/`_zs_max` (折算, same unit; only for `corrected` metrics).
 */
export function fieldSpec(metrics: Readonly<Record<string, MetricSpec>>, field: string): MetricSpec | undefined {
  if (Object.hasOwn(metrics, field)) return metrics[field];
  const { metric, suffix } = splitStatField(field);
  if (suffix === undefined || !Object.hasOwn(metrics, metric)) return undefined;
  const base = metrics[metric]!;
  if (suffix === '_cou') {
    if (base.couUnit === undefined) return undefined;
    return { ...base, id: field, name: `${base.name}排放量`, nameEn: `${base.nameEn} emission total`, unit: base.couUnit, min: 0, max: Number.MAX_VALUE };
  }
  if (suffix.startsWith('_zs') && base.corrected !== true) return undefined;
  const label = { _min: ['最小值', 'minimum'], _max: ['最大值', 'maximum'], _zs: ['折算值', 'corrected'], _zs_min: ['折算最小值', 'corrected minimum'], _zs_max: ['折算最大值', 'corrected maximum'] }[suffix];
  return { ...base, id: field, name: `${base.name}${label[0]}`, nameEn: `${base.nameEn} ${label[1]}`, max: suffix.startsWith('_zs') ? base.max * 21 : base.max };
}

/** The spec of `metric` for a station of `domain` (or a common metric), or undefined when unknown there. */
export function metricSpec(domain: Domain, metric: string): MetricSpec | undefined {
  return fieldSpec(DOMAIN_SPECS[domain].metrics, metric) ?? fieldSpec(COMMON_METRICS, metric);
}
