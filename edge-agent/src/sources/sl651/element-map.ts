/**
 * SL 651 element identifier → Shanshui metric (docs/standards/sl651.md §2.4). Kept as data, with the
 * standard's symbol, Chinese name, unit and N(digits, decimals) format, so a station can be
 * configured with overrides and the encoder knows each element's default width.
 *
 * Keys are the identifier in uppercase hex: one byte ('39'), or 'FF' + second byte for the
 * extension identifiers ('FF10'). Metric keys not (yet) in `DOMAIN_SPECS` are listed in
 * `SL651_METRICS_NOT_IN_MODELS` so the gap stays visible.
 */

export interface Sl651ElementTarget {
  /** Metric key the value is stored under. */
  readonly metric: string;
  /** Multiplier from the element's unit to the metric's unit. Default 1. */
  readonly scale?: number;
}

export interface Sl651ElementInfo extends Sl651ElementTarget {
  /** Symbol in the standard (P1, Z, VT, …). */
  readonly symbol: string;
  /** Chinese name as in the standard. */
  readonly name: string;
  readonly unit: string;
  /** N(digits, decimals): total decimal digits and decimals of the BCD value (arrays: bytes). */
  readonly digits: number;
  readonly decimals: number;
}

/** Per-station override: key → target, or `null` to ignore an element without counting it unknown. */
export type Sl651ElementOverrides = Readonly<Record<string, Sl651ElementTarget | null>>;

const e = (symbol: string, name: string, metric: string, unit: string, digits: number, decimals: number): Sl651ElementInfo => ({
  symbol,
  name,
  metric,
  unit,
  digits,
  decimals,
});

export const SL651_ELEMENT_MAP: Readonly<Record<string, Sl651ElementInfo>> = {
  // Arrays (HEX, not BCD): 12 five-minute values of the hour, see report.ts.
  F4: e('DRP', '1小时内每5分钟时段雨量', 'rainfall_5min', 'mm', 12, 1),
  F5: e('DRZ1', '1小时内5分钟间隔相对水位1', 'water_level_relative', 'm', 24, 2),
  // Soil moisture by depth.
  '10': e('M10', '10厘米处土壤含水量', 'moisture_vol_10cm', '%', 4, 1),
  '11': e('M20', '20厘米处土壤含水量', 'moisture_vol_20cm', '%', 4, 1),
  '12': e('M30', '30厘米处土壤含水量', 'moisture_vol_30cm', '%', 4, 1),
  '13': e('M40', '40厘米处土壤含水量', 'moisture_vol_40cm', '%', 4, 1),
  '14': e('M50', '50厘米处土壤含水量', 'moisture_vol_50cm', '%', 4, 1),
  '15': e('M60', '60厘米处土壤含水量', 'moisture_vol_60cm', '%', 4, 1),
  '16': e('M80', '80厘米处土壤含水量', 'moisture_vol_80cm', '%', 4, 1),
  '17': e('M100', '100厘米处土壤含水量', 'moisture_vol_100cm', '%', 4, 1),
  // Rainfall.
  '1A': e('P1', '1小时时段降水量', 'rainfall', 'mm', 5, 1),
  '1F': e('PD', '日降水量', 'rainfall_day', 'mm', 5, 1),
  '20': e('PJ', '当前降水量', 'rainfall_current', 'mm', 5, 1),
  '21': e('PN01', '1分钟时段降水量', 'rainfall_1min', 'mm', 5, 1),
  '22': e('PN05', '5分钟时段降水量', 'rainfall_5min', 'mm', 5, 1),
  '23': e('PN10', '10分钟时段降水量', 'rainfall_10min', 'mm', 5, 1),
  '24': e('PN30', '30分钟时段降水量', 'rainfall_30min', 'mm', 5, 1),
  '26': e('PT', '降水量累计值', 'rainfall_total', 'mm', 6, 1),
  // Flow, power, water levels.
  '27': e('Q', '瞬时流量', 'flow', 'm³/s', 9, 3),
  '38': e('VT', '电源电压', 'supply_voltage', 'V', 4, 2),
  '39': e('Z', '瞬时河道水位', 'water_level', 'm', 7, 3),
  '3A': e('ZB', '库(闸)下水位', 'downstream_level', 'm', 7, 3),
  '3B': e('ZU', '库(闸)上水位', 'water_level', 'm', 7, 3),
};

/**
 * Metric keys produced by the default map that `@shanshui/models` does not define yet (its
 * reservoir domain has water_level, storage, inflow, outflow, rainfall; soil has one
 * moisture_vol; supply_voltage is common).
 */
export const SL651_METRICS_NOT_IN_MODELS: readonly string[] = [];

/** Identifier key as used in the map: two uppercase hex digits, or four for FF-extensions. */
export function sl651ElementKey(id: number): string {
  return id.toString(16).toUpperCase().padStart(id > 0xff ? 4 : 2, '0');
}

/** The target of an element key: the override first, then the standard map; null = ignore. */
export function resolveSl651Element(key: string, overrides: Sl651ElementOverrides = {}): Sl651ElementTarget | null | undefined {
  if (Object.hasOwn(overrides, key)) return overrides[key] ?? null;
  if (Object.hasOwn(SL651_ELEMENT_MAP, key)) return SL651_ELEMENT_MAP[key];
  return undefined;
}
