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

/** Least-squares slope (mm per day) of (ts ms, mm) samples; undefined with fewer than two distinct times. */
function slopePerDay(samples: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (samples.length < 2) return undefined;
  const t0 = samples[0]![0];
  let st = 0, sv = 0, stt = 0, stv = 0;
  for (const [t, v] of samples) {
    const x = (t - t0) / 86_400_000;
    st += x; sv += v; stt += x * x; stv += x * v;
  }
  const n = samples.length;
  const den = n * stt - st * st;
  return den > 0 ? (n * stv - st * sv) / den : undefined;
}

/**
 * Rate (mm/day) and acceleration (mm/day²) from (ts ms, cumulative displacement mm) samples,
 * oldest first: the least-squares rate over the newer half of the samples, its change against the
 * older half's rate (fits, not two points, so one noisy reading does not make a landslide).
 * Undefined with fewer than 4 samples or when they span less than `minSpanMs` (default one hour).
 */
export function displacementKinematics(samples: ReadonlyArray<readonly [number, number]>, minSpanMs = 3_600_000): { rate: number; acceleration: number } | undefined {
  if (samples.length < 4) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  if (last[0] - first[0] < minSpanMs) return undefined;
  const half = Math.floor(samples.length / 2);
  const older = samples.slice(0, half + 1);
  const newer = samples.slice(half);
  const rOld = slopePerDay(older);
  const rNew = slopePerDay(newer);
  if (rOld === undefined || rNew === undefined) return undefined;
  const gap = ((newer[0]![0] + newer[newer.length - 1]![0]) / 2 - (older[0]![0] + older[older.length - 1]![0]) / 2) / 86_400_000;
  return { rate: rNew, acceleration: gap > 0 ? (rNew - rOld) / gap : 0 };
}
