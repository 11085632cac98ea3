/**
 * k of n corroboration: a rule with `corroborate` raises `minLevel` or above for a station only
 * while at least k stations of its group (region, department or the `basin` attribute),
 * counting itself, reach `minLevel` on their own; otherwise the level is capped just below.
 * A station without the group attribute is a group of its own.
 */
import { WARNING_LEVELS, warningLevelRank } from '@shanshui/models';
import type { Station, WarningLevel } from '@shanshui/models';
import type { Corroborate, Rule } from './rule-schema.ts';

export const CORROBORATION_GROUP_LABEL: Readonly<Record<Corroborate['group'], string>> = { region: '同一行政区', department: '同一部门', basin: '同一流域' };

export function corroborationOf(rule: Rule): Corroborate | undefined {
  return 'corroborate' in rule ? rule.corroborate : undefined;
}

/** The station's group under `c`, or undefined when it has none. */
export function groupOf(station: Station, c: Corroborate): string | undefined {
  if (c.group === 'region') return station.region;
  if (c.group === 'department') return station.department;
  const basin = station.attributes?.['basin'];
  return typeof basin === 'string' && basin !== '' ? basin : undefined;
}

/** True when `level` needs corroboration under `c`. */
export function needsCorroboration(level: WarningLevel | null, c: Corroborate): boolean {
  return warningLevelRank(level) >= warningLevelRank(c.minLevel);
}

/** `level` capped to the highest of `possible` below `c.minLevel` (null when none is). */
export function capBelow(level: WarningLevel | null, c: Corroborate, possible: readonly WarningLevel[]): WarningLevel | null {
  if (!needsCorroboration(level, c)) return level;
  let capped: WarningLevel | null = null;
  for (const l of WARNING_LEVELS) if (possible.includes(l) && warningLevelRank(l) < warningLevelRank(c.minLevel)) capped = l;
  return capped;
}
