/**
 * Pollution sources (污染源在线监测): the 折算 (reference-oxygen corrected) concentration and
 * exceedance (超标) of a permit limit (docs/standards/pollution-source.md).
 * C折 = C实测 × (21 − O2基准) / (21 − O2实测), O2 in %: the reference O2 depends on the source's
 * emission standard, the limits on its discharge permit — both are station attributes.
 */
import type { WarningLevel } from './warning-level.ts';
import { ClassifyError, requireFinite } from './classify-error.ts';

/**
 * The corrected concentration. Throws MODELS_ERR_CLASSIFY_VALUE_INVALID when the measured O2 is
 * not below 21 % (no combustion gas left to correct: the formula divides by zero or flips sign)
 * or the reference O2 is outside 0–21 %.
 */
export function correctedConcentration(measured: number, o2Measured: number, o2Reference: number): number {
  requireFinite('concentration', measured);
  requireFinite('o2Measured', o2Measured);
  requireFinite('o2Reference', o2Reference);
  if (o2Reference < 0 || o2Reference >= 21) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `reference O2 must be in [0, 21) %, got ${o2Reference}`);
  if (o2Measured < 0 || o2Measured >= 21) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `measured O2 must be in [0, 21) %, got ${o2Measured}`);
  return (measured * (21 - o2Reference)) / (21 - o2Measured);
}

export const EMISSION_CLASSES = ['compliant', 'over', 'over_50', 'over_100'] as const;
export type EmissionClass = (typeof EMISSION_CLASSES)[number];

/**
 * Platform default levels (permits set limits, not colours): 超标 yellow, ≥ 1.5 × limit orange,
 * ≥ 2 × limit red. A value equal to the limit complies.
 */
export const EMISSION_CLASS_WARNING_LEVEL: Readonly<Record<EmissionClass, WarningLevel | null>> = {
  compliant: null,
  over: 'yellow',
  over_50: 'orange',
  over_100: 'red',
};

export function emissionClass(value: number, limit: number): EmissionClass {
  requireFinite('value', value);
  if (!(requireFinite('limit', limit) > 0)) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `permit limit must be positive, got ${limit}`);
  if (value >= 2 * limit) return 'over_100';
  if (value >= 1.5 * limit) return 'over_50';
  if (value > limit) return 'over';
  return 'compliant';
}
