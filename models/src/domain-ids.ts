/**
 * The station domain ids, apart from their specs (domains.ts, read from the catalogue data), so
 * a program that only names domains — the edge agent validating its config — does not load and
 * validate the whole catalogue (about 5 MiB of an idle agent's memory; docs/benchmarks.md).
 */

/** Every domain of the shipped catalogue; the data file must list exactly these (checked when domains.ts loads). */
export const DOMAINS = [
  'air',
  'water',
  'soil',
  'reservoir',
  'forest_fire',
  'agriculture',
  'noise',
  'pollution_source',
  'river',
  'meteorology',
  'geohazard',
] as const;
export type Domain = (typeof DOMAINS)[number];

export function isDomain(value: string): value is Domain {
  return (DOMAINS as readonly string[]).includes(value);
}
