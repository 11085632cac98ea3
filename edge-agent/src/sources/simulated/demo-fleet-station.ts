/**
 * The stations of the simulated demo fleet (`npm run demo`, the simulator program): every
 * catalogue domain in turn across Guangzhou's districts, with the attributes each profile
 * needs (characteristic levels, noise zone, permit limits …) so their warnings work.
 */
import type { Domain, StationInput } from '@shanshui/models';

/** Owning department per domain. */
export const DEMO_DEPARTMENT_OF: Readonly<Record<Domain, string>> = {
  air: 'eco-env', // 生态环境局
  water: 'eco-env',
  reservoir: 'water', // 水利局
  forest_fire: 'forestry', // 林业局
  soil: 'agri', // 农业农村局
  agriculture: 'agri',
  noise: 'eco-env',
  pollution_source: 'eco-env',
  river: 'water',
  meteorology: 'meteo', // 气象局
  geohazard: 'natres', // 自然资源局
};

const NAME_OF: Readonly<Record<Domain, string>> = {
  air: '空气站',
  water: '水质站',
  reservoir: '水库站',
  forest_fire: '森林防火监测点',
  soil: '墒情站',
  agriculture: '农业物联网地块',
  noise: '声环境监测点',
  pollution_source: '电厂烟囱排放口',
  river: '河道水文站',
  meteorology: '气象站',
  geohazard: '滑坡监测点',
};

/** The catalogue profile each demo domain uses. */
const PROFILE_OF: Partial<Record<Domain, string>> = { pollution_source: 'flue-gas-cems' };

const ATTRIBUTES_OF: Partial<Record<Domain, Record<string, string | number>>> = {
  reservoir: { floodLimitLevel: 103, designFloodLevel: 106.5, checkFloodLevel: 108.2 },
  water: { waterBody: 'river' },
  noise: { noiseZone: '4a' },
  pollution_source: { o2Reference: 6, limit_so2: 35, limit_nox: 50, limit_dust: 10 },
  river: { warningLevel: 7.5, guaranteeLevel: 9, historicMaxLevel: 9.8 },
  geohazard: { constantRateMmPerDay: 0.5 },
};

// Districts of Guangzhou (GB/T 2260) with a rough centre.
const DISTRICTS: Array<[string, string, number, number]> = [
  ['440103', '荔湾', 23.125, 113.244],
  ['440104', '越秀', 23.129, 113.267],
  ['440105', '海珠', 23.084, 113.317],
  ['440106', '天河', 23.125, 113.361],
  ['440111', '白云', 23.288, 113.273],
  ['440112', '黄埔', 23.181, 113.48],
  ['440113', '番禺', 22.938, 113.384],
  ['440114', '花都', 23.404, 113.22],
  ['440115', '南沙', 22.801, 113.525],
  ['440117', '从化', 23.548, 113.586],
  ['440118', '增城', 23.261, 113.81],
];

/** The six original domains first, so small fleets look as before; then the catalogue's new ones. */
export const DEMO_DOMAIN_ORDER: readonly Domain[] = ['air', 'water', 'reservoir', 'forest_fire', 'soil', 'agriculture', 'noise', 'pollution_source', 'river', 'meteorology', 'geohazard'];

/** Station `i` of a fleet whose ids start with `prefix` (`demo`, `sim`). */
export function demoFleetStation(i: number, prefix: string): StationInput {
  const domain = DEMO_DOMAIN_ORDER[i % DEMO_DOMAIN_ORDER.length]!;
  const [region, district, lat, lon] = DISTRICTS[i % DISTRICTS.length]!;
  const jitter = (k: number): number => (((i * 7919 + k * 104729) % 1000) / 1000 - 0.5) * 0.08;
  const attributes = ATTRIBUTES_OF[domain];
  const profile = PROFILE_OF[domain];
  return {
    id: `${prefix}-${domain.replaceAll('_', '-')}-${String(i).padStart(3, '0')}`,
    name: `${district}${NAME_OF[domain]}${Math.floor(i / DEMO_DOMAIN_ORDER.length) + 1}号`,
    domain,
    lat: Number((lat + jitter(1)).toFixed(5)),
    lon: Number((lon + jitter(2)).toFixed(5)),
    region,
    department: DEMO_DEPARTMENT_OF[domain],
    ...(profile ? { profile } : {}),
    ...(attributes ? { attributes: { ...attributes } } : {}),
  };
}
