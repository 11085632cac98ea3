/**
 * HJ 212 factor codes → catalogue metrics and their fields (docs/standards/hj212-codes.md).
 * The code tables of HJ 212-2017 appendix B are data (data/hj212-codes.json); which metric a
 * code feeds depends on the station's domain (an ambient SO2 in μg/m³ is not a stack's SO2 in
 * mg/m³), so a domain's — or a profile's — table is derived from the `hj212` codes its metrics list.
 * Field suffixes: `Rtd` (CN 2011) and `Avg` (2051/2061/2031) are the metric itself; `Min`, `Max`,
 * `Cou` and the 折算 `ZsRtd`/`ZsAvg`/`ZsMin`/`ZsMax` are fields of their own.
 */
import * as z from 'zod';
import codesData from './data/hj212-codes.json' with { type: 'json' };
import { COMMON_METRICS, DOMAIN_SPECS } from '../domains.ts';
import type { Domain, MetricSpec, StatFieldSuffix } from '../domains.ts';

const CodeSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z][A-Za-z0-9]{1,15}$/),
  name: z.string().min(1),
  nameEn: z.string().min(1),
  /** Unit of the factor in the appendix table. */
  unit: z.string(),
  /** Unit of `Cou` (the emission total over the interval), when the table gives one. */
  couUnit: z.string().optional(),
  group: z.enum(['air', 'water', 'noise']),
  /** Digits after the decimal point in the table's data format (e.g. N7.3 → 3). */
  precision: z.number().int().min(0).max(6),
  note: z.string().optional(),
});
export type Hj212Code = z.output<typeof CodeSchema>;

const codesFile = z.strictObject({ version: z.string(), standard: z.string(), codes: z.array(CodeSchema) }).parse(codesData);

/** Every code of the tables, by code. */
export const HJ212_CODES: ReadonlyMap<string, Hj212Code> = new Map(codesFile.codes.map((c) => [c.code, c]));

/** CP field suffix → field suffix of the metric ('' = the metric itself). Flag/EFlag/SampleTime carry no value. */
export const HJ212_VALUE_SUFFIXES: Readonly<Record<string, '' | StatFieldSuffix>> = {
  Rtd: '',
  Avg: '',
  Min: '_min',
  Max: '_max',
  Cou: '_cou',
  ZsRtd: '_zs',
  ZsAvg: '_zs',
  ZsMin: '_zs_min',
  ZsMax: '_zs_max',
};

/** Suffixes that describe a value rather than carry one. */
export const HJ212_META_SUFFIXES: readonly string[] = ['Flag', 'EFlag', 'SampleTime'];

/** code → metric spec, for one metric table (a domain's or a profile's). */
export type Hj212CodeTable = ReadonlyMap<string, MetricSpec>;

export function hj212CodeTable(metrics: Readonly<Record<string, MetricSpec>>): Hj212CodeTable {
  const table = new Map<string, MetricSpec>();
  for (const m of Object.values(metrics)) for (const code of m.hj212 ?? []) if (!table.has(code)) table.set(code, m);
  return table;
}

const BY_DOMAIN = new Map<Domain, Hj212CodeTable>();

/** The code table of a domain's stations (cached). */
export function hj212CodeTableFor(domain: Domain): Hj212CodeTable {
  let table = BY_DOMAIN.get(domain);
  if (!table) {
    table = hj212CodeTable({ ...DOMAIN_SPECS[domain].metrics, ...COMMON_METRICS });
    BY_DOMAIN.set(domain, table);
  }
  return table;
}

/**
 * The table of a logger whose station domain is not configured (the behaviour before the
 * catalogue): ambient air for `a` codes, surface water for `w` codes, noise for `L` codes.
 */
export const HJ212_DEFAULT_TABLE: Hj212CodeTable = new Map([...hj212CodeTableFor('noise'), ...hj212CodeTableFor('water'), ...hj212CodeTableFor('air')]);
