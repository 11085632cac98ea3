/**
 * HJ 212 factor code → Shanshui metric. The code tables are catalogue data in models
 * (HJ 212-2017 appendix B, docs/standards/hj212-codes.md): which metric a code feeds depends on
 * the station's domain, so a logger resolves against its domain's table. A device whose logger
 * uses other codes (HJ/T 212-2005 numbering, vendor codes) or other units is configured with an
 * override map instead of code changes.
 */
import { HJ212_DEFAULT_TABLE } from '@shanshui/models';
import type { Domain, Hj212CodeTable, MetricSpec } from '@shanshui/models';

export interface FactorTarget {
  /** Metric key of the station's domain (or profile). */
  readonly metric: string;
  readonly domain: Domain;
  /** Multiplier from the device's unit to the metric's unit (e.g. 0.001 for CO in μg/m³). Default 1. */
  readonly scale?: number;
}

/** Per-device override: code → target, or `null` to ignore a factor without counting it unknown. */
export type FactorOverrides = Readonly<Record<string, FactorTarget | null>>;

/** What a code resolves to: the metric, its catalogue spec when known (to check Cou/折算 fields), a scale. */
export interface ResolvedFactor {
  readonly metric: string;
  readonly spec?: MetricSpec;
  readonly scale?: number;
}

/**
 * The target of a factor code: the override first (exact code), then the table. Codes are also
 * tried lowercased because some loggers send `A34004` (noise codes such as `LMx` are mixed case
 * and tried as sent first). Returns `null` when an override says to ignore the factor,
 * undefined when unknown.
 */
export function resolveFactor(code: string, overrides: FactorOverrides = {}, table: Hj212CodeTable = HJ212_DEFAULT_TABLE): ResolvedFactor | null | undefined {
  for (const candidate of code === code.toLowerCase() ? [code] : [code, code.toLowerCase()]) {
    if (Object.hasOwn(overrides, candidate)) {
      const o = overrides[candidate];
      return o ? { metric: o.metric, ...(o.scale !== undefined ? { scale: o.scale } : {}) } : null;
    }
    const spec = table.get(candidate);
    if (spec) return { metric: spec.id, spec };
  }
  return undefined;
}
