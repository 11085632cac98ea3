/**
 * HJ 212 factor code → Shanshui metric (reference §1.10). Kept as data so a device whose logger
 * uses other codes (HJ/T 212-2005 numbering, vendor codes) or other units can be configured
 * with an override map instead of code changes.
 */
import type { Domain } from '@shanshui/models';

export interface FactorTarget {
  /** Metric key in `DOMAIN_SPECS[domain].metrics`. */
  readonly metric: string;
  readonly domain: Domain;
  /** Multiplier from the device's unit to the metric's unit (e.g. 0.001 for CO in μg/m³). Default 1. */
  readonly scale?: number;
}

export interface FactorInfo extends FactorTarget {
  /** Chinese name as in the standard. */
  readonly name: string;
  /** Unit the factor is usually reported in by ambient stations (⚠️ §1.10: varies by device). */
  readonly unit: string;
}

/** Per-device override: code → target, or `null` to ignore a factor without counting it unknown. */
export type FactorOverrides = Readonly<Record<string, FactorTarget | null>>;

const f = (metric: string, domain: Domain, name: string, unit: string): FactorInfo => ({ metric, domain, name, unit });

export const HJ212_FACTOR_MAP: Readonly<Record<string, FactorInfo>> = {
  // Air (ambient air quality and meteorology).
  a34004: f('pm25', 'air', 'PM2.5', 'μg/m³'),
  a34002: f('pm10', 'air', 'PM10', 'μg/m³'),
  a21026: f('so2', 'air', '二氧化硫', 'μg/m³'),
  a21004: f('no2', 'air', '二氧化氮', 'μg/m³'),
  a05024: f('o3', 'air', '臭氧', 'μg/m³'),
  a21005: f('co', 'air', '一氧化碳', 'mg/m³'),
  a01001: f('temperature', 'air', '温度', '℃'),
  a01002: f('humidity', 'air', '湿度', '%'),
  a01006: f('pressure', 'air', '气压', 'hPa'),
  a01007: f('wind_speed', 'air', '风速', 'm/s'),
  a01008: f('wind_direction', 'air', '风向', '°'),
  // Water (surface water quality).
  w01001: f('ph', 'water', 'pH', ''),
  w01009: f('do', 'water', '溶解氧', 'mg/L'),
  w01010: f('water_temperature', 'water', '水温', '℃'),
  w01014: f('conductivity', 'water', '电导率', 'μS/cm'),
  w01003: f('turbidity', 'water', '浊度', 'NTU'),
  w01019: f('codmn', 'water', '高锰酸盐指数', 'mg/L'),
  w01018: f('cod', 'water', '化学需氧量', 'mg/L'),
  w01017: f('bod5', 'water', '五日生化需氧量', 'mg/L'),
  w21003: f('nh3n', 'water', '氨氮', 'mg/L'),
  w21011: f('tp', 'water', '总磷', 'mg/L'),
  w21001: f('tn', 'water', '总氮', 'mg/L'),
};

/**
 * The target of a factor code: the override first (exact code), then the standard map. Codes
 * are also tried lowercased because some loggers send `A34004`.
 * Returns `null` when an override says to ignore the factor, undefined when unknown.
 */
export function resolveFactor(code: string, overrides: FactorOverrides = {}): FactorTarget | null | undefined {
  for (const candidate of code === code.toLowerCase() ? [code] : [code, code.toLowerCase()]) {
    if (Object.hasOwn(overrides, candidate)) return overrides[candidate] ?? null;
    if (Object.hasOwn(HJ212_FACTOR_MAP, candidate)) return HJ212_FACTOR_MAP[candidate];
  }
  return undefined;
}
