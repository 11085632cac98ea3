/** Chinese name and unit of a metric for messages: 'PM2.5', 'μg/m³'. */
import { metricSpec } from '@shanshui/models';
import type { Domain } from '@shanshui/models';

export function metricLabel(domain: Domain, metric: string): { name: string; unit: string } {
  const spec = metricSpec(domain, metric);
  return { name: spec?.name ?? metric, unit: spec?.unit ?? '' };
}

/** '75 μg/m³', '0.5 m', '7.2' — a number with its unit, trimmed to 3 decimals. */
export function withUnit(value: number, unit: string): string {
  const n = String(Math.round(value * 1000) / 1000);
  return unit ? `${n} ${unit}` : n;
}
