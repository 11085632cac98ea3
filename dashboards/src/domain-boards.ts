/**
 * The dashboard (uid) of each station domain: where a marker of the 一张图 sends its 领域仪表盘
 * link. 土壤墒情 and 农业 share one board; every other domain has its own.
 */
import { DOMAINS } from '@shanshui/models';
import type { Domain } from '@shanshui/models';
import type { ValueMapping } from './grafana-model.ts';
import { valueMappings } from './panel-builders.ts';

export const DOMAIN_BOARD_UID: Readonly<Record<Domain, string>> = {
  air: 'shanshui-air',
  water: 'shanshui-water',
  soil: 'shanshui-soil-agriculture',
  agriculture: 'shanshui-soil-agriculture',
  reservoir: 'shanshui-reservoir',
  forest_fire: 'shanshui-forest-fire',
  noise: 'shanshui-noise',
  pollution_source: 'shanshui-pollution-source',
  river: 'shanshui-river',
  meteorology: 'shanshui-meteorology',
  geohazard: 'shanshui-geohazard',
};

/**
 * Value mappings of a column holding a station's domain to its dashboard's uid. Grafana fills a
 * data link's `${__data.fields.x}` with the field's display text — its value mappings applied —
 * so a link `/d/${__data.fields.board}` opens the station's domain dashboard.
 */
export function boardMappings(): ValueMapping[] {
  return valueMappings(DOMAINS.map((d) => ({ value: d, text: DOMAIN_BOARD_UID[d] })));
}
