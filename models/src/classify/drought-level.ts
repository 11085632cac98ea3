/**
 * Agricultural drought level from relative soil moisture R (% of field capacity), after
 * GB/T 32136-2015 §5.2 (docs/standards/drought.md §5 ⚠️). Thresholds are configurable because the layer
 * weighting by crop stage is unconfirmed and provinces tune them per crop.
 */

import { ClassifyError, requireFinite } from './classify-error.ts';
import type { WarningLevel } from './warning-level.ts';

export const DROUGHT_LEVELS = ['none', 'light', 'moderate', 'severe', 'extreme'] as const;
export type DroughtLevel = (typeof DROUGHT_LEVELS)[number];

export type DroughtLabel = '无旱' | '轻旱' | '中旱' | '重旱' | '特旱';

export const DROUGHT_LEVEL_LABEL: Readonly<Record<DroughtLevel, DroughtLabel>> = {
  none: '无旱',
  light: '轻旱',
  moderate: '中旱',
  severe: '重旱',
  extreme: '特旱',
};

/**
 * Upper bounds of R (%, inclusive) for each drought level; a value above `light` is no drought.
 * Must be strictly decreasing from `light` to `extreme`.
 */
export interface DroughtThresholds {
  /** 轻旱 when R ≤ this. Default 60. */
  readonly light: number;
  /** 中旱 when R ≤ this. Default 50. */
  readonly moderate: number;
  /** 重旱 when R ≤ this. Default 40. */
  readonly severe: number;
  /** 特旱 when R ≤ this. Default 30. */
  readonly extreme: number;
}

export const DEFAULT_DROUGHT_THRESHOLDS: DroughtThresholds = { light: 60, moderate: 50, severe: 40, extreme: 30 };

/** Throws MODELS_ERR_CLASSIFY_TABLE_INVALID unless the thresholds are finite and strictly decreasing. */
export function validateDroughtThresholds(thresholds: DroughtThresholds): DroughtThresholds {
  const order = ['light', 'moderate', 'severe', 'extreme'] as const;
  for (const key of order) {
    if (!Number.isFinite(thresholds[key])) {
      throw new ClassifyError(
        'MODELS_ERR_CLASSIFY_TABLE_INVALID',
        `drought threshold ${key} must be a finite number, got ${String(thresholds[key])}`,
      );
    }
  }
  for (let i = 1; i < order.length; i++) {
    const [upper, lower] = [order[i - 1]!, order[i]!];
    if (!(thresholds[lower] < thresholds[upper])) {
      throw new ClassifyError(
        'MODELS_ERR_CLASSIFY_TABLE_INVALID',
        `drought threshold ${lower} (${thresholds[lower]}) must be below ${upper} (${thresholds[upper]})`,
      );
    }
  }
  return thresholds;
}

/**
 * Drought level of a relative soil moisture R (%): 无旱 R > 60 · 轻旱 50 < R ≤ 60 · 中旱 40 < R ≤ 50 ·
 * 重旱 30 < R ≤ 40 · 特旱 R ≤ 30 with the default thresholds. R must be finite and ≥ 0; it may
 * exceed 100 (wetter than field capacity).
 */
export function droughtLevel(
  relativeMoisturePct: number,
  thresholds: DroughtThresholds = DEFAULT_DROUGHT_THRESHOLDS,
): DroughtLevel {
  requireFinite('relative soil moisture', relativeMoisturePct);
  if (relativeMoisturePct < 0) {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `relative soil moisture must be ≥ 0, got ${relativeMoisturePct}`);
  }
  validateDroughtThresholds(thresholds);
  if (relativeMoisturePct <= thresholds.extreme) return 'extreme';
  if (relativeMoisturePct <= thresholds.severe) return 'severe';
  if (relativeMoisturePct <= thresholds.moderate) return 'moderate';
  if (relativeMoisturePct <= thresholds.light) return 'light';
  return 'none';
}

/**
 * Warning colour the platform raises for a drought level. This mapping is the platform's choice,
 * not part of GB/T 32136: one step per level, so 轻旱 already warns (blue) and 特旱 is red.
 */
export const DROUGHT_WARNING_LEVEL: Readonly<Record<DroughtLevel, WarningLevel | null>> = {
  none: null,
  light: 'blue',
  moderate: 'yellow',
  severe: 'orange',
  extreme: 'red',
};

/** Warning level for a drought level (platform mapping, see DROUGHT_WARNING_LEVEL); null for none. */
export function droughtWarningLevel(level: DroughtLevel): WarningLevel | null {
  return DROUGHT_WARNING_LEVEL[level];
}
