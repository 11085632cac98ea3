/**
 * Landslide deformation stage by the improved tangent-angle method (改进切线角法, as used in
 * Chinese landslide early warning; docs/standards/geohazard.md). The cumulative displacement S is
 * rescaled by the point's constant-stage rate v (mm/day) into a time, T = S / v, so the
 * displacement–time curve's tangent angle α = arctan(ΔT / Δt) = arctan(rate / v) no longer
 * depends on the units: α ≈ 45° is constant-rate creep, larger angles mean acceleration.
 * Default thresholds (per point, configurable): α > 45° 初加速 blue, > 80° 中加速 yellow,
 * > 85° 加加速 orange, ≥ 89° 临滑 red.
 */
import type { WarningLevel } from './warning-level.ts';
import { ClassifyError, requireFinite } from './classify-error.ts';

export const DEFORMATION_STAGES = ['stable', 'initial_acceleration', 'mid_acceleration', 'rapid_acceleration', 'imminent'] as const;
export type DeformationStage = (typeof DEFORMATION_STAGES)[number];

export const DEFORMATION_STAGE_LABEL: Readonly<Record<DeformationStage, string>> = {
  stable: '等速或减速变形',
  initial_acceleration: '初加速变形',
  mid_acceleration: '中加速变形',
  rapid_acceleration: '加加速变形',
  imminent: '临滑',
};

export const DEFORMATION_STAGE_WARNING_LEVEL: Readonly<Record<DeformationStage, WarningLevel | null>> = {
  stable: null,
  initial_acceleration: 'blue',
  mid_acceleration: 'yellow',
  rapid_acceleration: 'orange',
  imminent: 'red',
};

/** Angles (degrees) above which each stage begins; imminent at or above its angle. */
export interface TangentThresholds {
  readonly initial: number;
  readonly mid: number;
  readonly rapid: number;
  readonly imminent: number;
}

export const DEFAULT_TANGENT_THRESHOLDS: TangentThresholds = { initial: 45, mid: 80, rapid: 85, imminent: 89 };

/** Tangent angle (degrees, −90…90) of a displacement rate against the constant-stage rate. */
export function tangentAngle(rateMmPerDay: number, constantRateMmPerDay: number): number {
  requireFinite('rate', rateMmPerDay);
  if (!(requireFinite('constantRate', constantRateMmPerDay) > 0)) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `constant-stage rate must be positive, got ${constantRateMmPerDay}`);
  return (Math.atan(rateMmPerDay / constantRateMmPerDay) * 180) / Math.PI;
}

export function deformationStage(angle: number, thresholds: TangentThresholds = DEFAULT_TANGENT_THRESHOLDS): DeformationStage {
  requireFinite('angle', angle);
  const t = thresholds;
  if (!(t.initial < t.mid && t.mid < t.rapid && t.rapid < t.imminent && t.imminent <= 90)) {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_TABLE_INVALID', 'tangent thresholds must rise: initial < mid < rapid < imminent ≤ 90');
  }
  if (angle >= t.imminent) return 'imminent';
  if (angle > t.rapid) return 'rapid_acceleration';
  if (angle > t.mid) return 'mid_acceleration';
  if (angle > t.initial) return 'initial_acceleration';
  return 'stable';
}

/**
 * Rate (mm/day) and acceleration (mm/day²) from (ts ms, cumulative displacement mm) samples,
 * oldest first: the rate over the newer half of the window, its change against the older half.
 * Undefined with fewer than 3 samples or a window shorter than a minute.
 */
export function displacementKinematics(samples: ReadonlyArray<readonly [number, number]>): { rate: number; acceleration: number } | undefined {
  if (samples.length < 3) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  if (last[0] - first[0] < 60_000) return undefined;
  const mid = samples[Math.floor(samples.length / 2)]!;
  const day = 86_400_000;
  const rateOf = (a: readonly [number, number], b: readonly [number, number]): number => ((b[1] - a[1]) / (b[0] - a[0])) * day;
  const older = mid[0] > first[0] ? rateOf(first, mid) : 0;
  const newer = last[0] > mid[0] ? rateOf(mid, last) : rateOf(first, last);
  const span = (last[0] - first[0]) / 2 / day;
  return { rate: newer, acceleration: span > 0 ? (newer - older) / span : 0 };
}
