/**
 * River flood warnings (水情预警, Ministry of Water Resources 水情预警发布管理办法), from a gauge's
 * water level (or discharge) against its own characteristic values (docs/standards/river-flood.md):
 *   blue   — at or above 警戒水位 (warning level)
 *   yellow — approaching 保证水位 (guaranteed level): within `approachM` below it
 *   orange — at or above 保证水位
 *   red    — at or above the historic maximum (历史最高水位), when the station has one
 * The rules also grade by return period (重现期), which needs a frequency analysis the platform
 * does not do. "Approaching" is not quantified by the rules: `approachM` is configurable, per
 * station (attribute guaranteeApproachM) or per rule; the default is 0.5 m.
 */
import type { WarningLevel } from './warning-level.ts';
import { ClassifyError, requireFinite } from './classify-error.ts';

export const RIVER_STATES = ['normal', 'above_warning', 'near_guarantee', 'above_guarantee', 'above_historic'] as const;
export type RiverState = (typeof RIVER_STATES)[number];

export const RIVER_STATE_LABEL: Readonly<Record<RiverState, string>> = {
  normal: '低于警戒水位',
  above_warning: '超警戒水位',
  near_guarantee: '接近保证水位',
  above_guarantee: '超保证水位',
  above_historic: '超历史最高水位',
};

export const RIVER_STATE_WARNING_LEVEL: Readonly<Record<RiverState, WarningLevel | null>> = {
  normal: null,
  above_warning: 'blue',
  near_guarantee: 'yellow',
  above_guarantee: 'orange',
  above_historic: 'red',
};

export const DEFAULT_GUARANTEE_APPROACH_M = 0.5;

export interface RiverLevels {
  /** 警戒水位 (m) — or 警戒流量 when classifying discharge. */
  readonly warning: number;
  /** 保证水位 (m) — or 保证流量. */
  readonly guarantee: number;
  /** 历史最高水位 — or the largest discharge on record. Optional. */
  readonly historicMax?: number;
  /** How far below 保证水位 counts as approaching it. Default 0.5 (m). */
  readonly approach?: number;
}

export function validateRiverLevels(levels: RiverLevels): void {
  requireFinite('warning', levels.warning);
  requireFinite('guarantee', levels.guarantee);
  if (levels.guarantee <= levels.warning) throw new ClassifyError('MODELS_ERR_CLASSIFY_TABLE_INVALID', `保证水位 ${levels.guarantee} must be above 警戒水位 ${levels.warning}`);
  if (levels.historicMax !== undefined) requireFinite('historicMax', levels.historicMax);
  if (levels.approach !== undefined && !(requireFinite('approach', levels.approach) >= 0)) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', 'approach must be ≥ 0');
}

export function riverState(value: number, levels: RiverLevels): RiverState {
  requireFinite('value', value);
  validateRiverLevels(levels);
  // Red needs both: the record broken and 保证水位 reached (a record below 保证水位 is no red flood).
  if (levels.historicMax !== undefined && value >= levels.historicMax && value >= levels.guarantee) return 'above_historic';
  if (value >= levels.guarantee) return 'above_guarantee';
  const approach = levels.approach ?? DEFAULT_GUARANTEE_APPROACH_M;
  if (value >= levels.warning && value >= levels.guarantee - approach) return 'near_guarantee';
  if (value >= levels.warning) return 'above_warning';
  return 'normal';
}
