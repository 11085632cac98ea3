/** Display names of tag values, so staff read 生态环境局 and 环境空气 rather than codes. */
import { DOMAINS, DOMAIN_SPECS, metricSpec } from '@shanshui/models';
import { valueMappings } from './panel-builders.ts';
import type { ValueMapping } from './grafana-model.ts';

/** Department codes of the demo fleet and the default deployment; unknown codes show as is. */
export const DEPARTMENT_NAMES: Readonly<Record<string, string>> = {
  'eco-env': '生态环境局',
  water: '水利局',
  forestry: '林业局',
  agri: '农业农村局',
  emergency: '应急管理局',
  meteo: '气象局',
  natres: '自然资源局',
};

export function departmentMappings(): ValueMapping[] {
  return valueMappings(Object.entries(DEPARTMENT_NAMES).map(([value, text]) => ({ value, text })));
}

export function domainMappings(): ValueMapping[] {
  return valueMappings(DOMAINS.map((d) => ({ value: d, text: DOMAIN_SPECS[d].name })));
}

/** Metric column name with unit, e.g. `PM2.5 (μg/m³)`. */
export function metricLabel(domain: keyof typeof DOMAIN_SPECS, metric: string): string {
  const spec = metricSpec(domain, metric);
  if (!spec) throw new Error(`unknown metric ${domain}.${metric}`);
  return spec.unit && spec.unit !== '0/1' ? `${spec.name} (${spec.unit})` : spec.name;
}
