/**
 * Surface-water quality class per GB 3838-2002 table 1, basic items (docs/standards/gb3838-water.md §4), by the
 * single-factor method: the station's class is the worst class over the evaluated factors.
 */

import { ClassifyError } from './classify-error.ts';

export const WATER_CLASSES = ['I', 'II', 'III', 'IV', 'V', '劣V'] as const;
export type WaterClass = (typeof WATER_CLASSES)[number];

export type WaterQualityLabel = '优' | '良好' | '轻度污染' | '中度污染' | '重度污染';

/** Qualitative label of each class (docs/standards/gb3838-water.md §4 ✅). */
export const WATER_CLASS_LABEL: Readonly<Record<WaterClass, WaterQualityLabel>> = {
  I: '优',
  II: '优',
  III: '良好',
  IV: '轻度污染',
  V: '中度污染',
  劣V: '重度污染',
};

export const WATER_FACTORS = ['ph', 'do', 'codmn', 'cod', 'bod5', 'nh3n', 'tp', 'tn', 'fecal_coliform'] as const;
export type WaterFactor = (typeof WATER_FACTORS)[number];

/** 'river' or 'lake' (lakes and reservoirs share a column); it selects the TP limits. */
export type WaterBody = 'river' | 'lake';

export const WATER_FACTOR_INFO: Readonly<Record<WaterFactor, { readonly name: string; readonly unit: string }>> = {
  ph: { name: 'pH', unit: '' },
  do: { name: '溶解氧', unit: 'mg/L' },
  codmn: { name: '高锰酸盐指数', unit: 'mg/L' },
  cod: { name: '化学需氧量', unit: 'mg/L' },
  bod5: { name: '五日生化需氧量', unit: 'mg/L' },
  nh3n: { name: '氨氮', unit: 'mg/L' },
  tp: { name: '总磷', unit: 'mg/L' },
  tn: { name: '总氮', unit: 'mg/L' },
  fecal_coliform: { name: '粪大肠菌群', unit: '个/L' },
};

/** Limits of classes I, II, III, IV, V in that order. */
export type ClassLimits = readonly [number, number, number, number, number];

/** pH range every class shares; outside it the sample is 劣V whatever else it shows. */
export const GB3838_PH_RANGE: readonly [number, number] = [6, 9];

/**
 * GB 3838-2002 table 1 limits for classes I–V. DO is a lower bound (passes when ≥ limit); every
 * other item an upper bound (passes when ≤ limit). TP has one column per water body.
 */
export const GB3838_LIMITS = {
  do: [7.5, 6, 5, 3, 2],
  codmn: [2, 4, 6, 10, 15],
  cod: [15, 15, 20, 30, 40],
  bod5: [3, 3, 4, 6, 10],
  nh3n: [0.15, 0.5, 1.0, 1.5, 2.0],
  tp_river: [0.02, 0.1, 0.2, 0.3, 0.4],
  tp_lake: [0.01, 0.025, 0.05, 0.1, 0.2],
  tn: [0.2, 0.5, 1.0, 1.5, 2.0],
  fecal_coliform: [200, 2000, 10000, 20000, 40000],
} as const satisfies Readonly<Record<string, ClassLimits>>;

/** Class I–V limits of a factor for a water body, or `null` for pH (a range, see GB3838_PH_RANGE). */
export function classLimitsFor(factor: WaterFactor, waterBody: WaterBody): ClassLimits | null {
  switch (factor) {
    case 'ph':
      return null;
    case 'tp':
      return waterBody === 'lake' ? GB3838_LIMITS.tp_lake : GB3838_LIMITS.tp_river;
    default:
      return GB3838_LIMITS[factor];
  }
}

/**
 * Class of one factor's value, or `null` when the value is negative or not finite. pH within
 * 6–9 is class I (it never limits the class), outside it 劣V. Equal to a limit passes.
 */
export function waterFactorClass(factor: WaterFactor, value: number, waterBody: WaterBody): WaterClass | null {
  if (!Number.isFinite(value) || value < 0) return null;
  const limits = classLimitsFor(factor, waterBody);
  if (limits === null) {
    const [min, max] = GB3838_PH_RANGE;
    return value >= min && value <= max ? 'I' : '劣V';
  }
  const index = factor === 'do' ? limits.findIndex((l) => value >= l) : limits.findIndex((l) => value <= l);
  return index === -1 ? '劣V' : WATER_CLASSES[index]!;
}

export interface WaterClassOptions {
  readonly waterBody: WaterBody;
  /**
   * Evaluate TN. Default: true for lakes/reservoirs, false for rivers — routine evaluation
   * leaves out river TN (docs/standards/gb3838-water.md §4 ❓).
   */
  readonly includeTn?: boolean;
  /** Evaluate fecal coliform. Default false: routine evaluation leaves it out (docs/standards/gb3838-water.md §4 ❓). */
  readonly includeFecalColiform?: boolean;
}

export type WaterValues = Readonly<Partial<Record<WaterFactor, number>>>;

export interface WaterClassResult {
  readonly class: WaterClass;
  readonly label: WaterQualityLabel;
  /** Class of every evaluated factor. */
  readonly perFactor: Readonly<Partial<Record<WaterFactor, WaterClass>>>;
  /** Evaluated factors whose class equals the overall class (all of them when the class is I). */
  readonly worstFactors: readonly WaterFactor[];
  /**
   * 超标倍数 (C − C_III) / C_III of each pollutant worse than class III. Not defined for pH or DO
   * (docs/standards/gb3838-water.md §4 ❓).
   */
  readonly exceedance: Readonly<Partial<Record<WaterFactor, number>>>;
  /**
   * Factors worse than class III (超标), largest 超标倍数 first; pH and DO, which have no
   * multiple, come last. The first three are the 主要污染指标 candidates.
   */
  readonly exceedingFactors: readonly WaterFactor[];
  /** Values given but not evaluated: 'invalid' (negative, not finite) or 'excluded' by options. */
  readonly skipped: readonly { readonly factor: WaterFactor; readonly reason: 'invalid' | 'excluded' }[];
}

const CLASS_III_INDEX = 2;

/**
 * Classifies a water sample by GB 3838-2002 basic items (single-factor method). Returns `null`
 * when no factor could be evaluated.
 */
export function classifyWater(values: WaterValues, options: WaterClassOptions): WaterClassResult | null {
  const { waterBody } = options;
  if (waterBody !== 'river' && waterBody !== 'lake') {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `waterBody must be 'river' or 'lake', got ${String(waterBody)}`);
  }
  const includeTn = options.includeTn ?? waterBody === 'lake';
  const includeFecalColiform = options.includeFecalColiform ?? false;

  const perFactor: Partial<Record<WaterFactor, WaterClass>> = {};
  const exceedance: Partial<Record<WaterFactor, number>> = {};
  const skipped: { factor: WaterFactor; reason: 'invalid' | 'excluded' }[] = [];

  for (const factor of WATER_FACTORS) {
    const value = values[factor];
    if (value === undefined) continue;
    if ((factor === 'tn' && !includeTn) || (factor === 'fecal_coliform' && !includeFecalColiform)) {
      skipped.push({ factor, reason: 'excluded' });
      continue;
    }
    const cls = waterFactorClass(factor, value, waterBody);
    if (cls === null) {
      skipped.push({ factor, reason: 'invalid' });
      continue;
    }
    perFactor[factor] = cls;
    const limits = classLimitsFor(factor, waterBody);
    if (limits !== null && factor !== 'do' && value > limits[CLASS_III_INDEX]) {
      const cIII = limits[CLASS_III_INDEX];
      // Snap float noise ((1.2 − 1) / 1 = 0.19999999999999996) so stored multiples read cleanly.
      exceedance[factor] = Math.round(((value - cIII) / cIII) * 1e6) / 1e6;
    }
  }

  const evaluated = WATER_FACTORS.filter((f) => perFactor[f] !== undefined);
  if (evaluated.length === 0) return null;

  const rank = (f: WaterFactor): number => WATER_CLASSES.indexOf(perFactor[f]!);
  const worstIndex = Math.max(...evaluated.map(rank));
  const cls = WATER_CLASSES[worstIndex]!;
  const exceedingFactors = evaluated
    .filter((f) => rank(f) > CLASS_III_INDEX)
    .sort((a, b) => (exceedance[b] ?? -1) - (exceedance[a] ?? -1));

  return {
    class: cls,
    label: WATER_CLASS_LABEL[cls],
    perFactor,
    worstFactors: evaluated.filter((f) => rank(f) === worstIndex),
    exceedance,
    exceedingFactors,
    skipped,
  };
}
