/**
 * GB 3096-2008 声环境质量标准: environmental noise limits by functional zone, day 06:00–22:00 and
 * night 22:00–06:00 local time (docs/standards/gb3096-noise.md). A level equal to the limit
 * complies; above it is an exceedance (超标). At night, a sudden noise (Lmax) more than 15 dB(A)
 * over the night limit is an exceedance of its own.
 */
import type { WarningLevel } from './warning-level.ts';
import { ClassifyError, requireFinite } from './classify-error.ts';

export const NOISE_ZONES = ['0', '1', '2', '3', '4a', '4b'] as const;
export type NoiseZone = (typeof NOISE_ZONES)[number];
export type NoisePeriod = 'day' | 'night';

/** LAeq limits in dB(A), GB 3096-2008 table 1. */
export const GB3096_LIMITS: Readonly<Record<NoiseZone, { readonly day: number; readonly night: number }>> = {
  '0': { day: 50, night: 40 },
  '1': { day: 55, night: 45 },
  '2': { day: 60, night: 50 },
  '3': { day: 65, night: 55 },
  '4a': { day: 70, night: 55 },
  '4b': { day: 70, night: 60 },
};

/** Night-time sudden noise may exceed the night limit by at most this many dB(A). */
export const NIGHT_SUDDEN_MARGIN_DB = 15;

export interface NoisePeriodOptions {
  /** Local hour the day period starts. Default 6 (local governments may shift it). */
  readonly dayStartHour?: number;
  /** Local hour the night period starts. Default 22. */
  readonly nightStartHour?: number;
  /** Minutes east of UTC of local time. Default 480 (China). */
  readonly utcOffsetMinutes?: number;
  /** Judge against this period's limit whatever the time (a daytime Ld, a night-time Ln). Default: the period of `at`. */
  readonly period?: NoisePeriod;
}

export function isNoiseZone(value: unknown): value is NoiseZone {
  return typeof value === 'string' && (NOISE_ZONES as readonly string[]).includes(value);
}

/** The period of `at`: day from dayStartHour (inclusive) to nightStartHour (exclusive). */
export function noisePeriodAt(at: Date, options: NoisePeriodOptions = {}): NoisePeriod {
  const dayStart = options.dayStartHour ?? 6;
  const nightStart = options.nightStartHour ?? 22;
  const local = new Date(at.getTime() + (options.utcOffsetMinutes ?? 480) * 60_000);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  return minutes >= dayStart * 60 && minutes < nightStart * 60 ? 'day' : 'night';
}

export function noiseLimit(zone: NoiseZone, period: NoisePeriod): number {
  if (!isNoiseZone(zone)) throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `noise zone must be one of ${NOISE_ZONES.join(', ')}, got ${String(zone)}`);
  return GB3096_LIMITS[zone][period];
}

/** Classes of a noise reading, least severe first; the warning-level map keys. */
export const NOISE_CLASSES = ['compliant', 'over', 'over_5', 'over_10', 'night_sudden'] as const;
export type NoiseClass = (typeof NOISE_CLASSES)[number];

/**
 * Platform default warning level per class (the standard sets limits, not colours):
 * over the limit blue, by more than 5 dB(A) yellow, by more than 10 dB(A) orange; a night-time
 * sudden noise over limit + 15 dB(A) yellow.
 */
export const NOISE_CLASS_WARNING_LEVEL: Readonly<Record<NoiseClass, WarningLevel | null>> = {
  compliant: null,
  over: 'blue',
  over_5: 'yellow',
  over_10: 'orange',
  night_sudden: 'yellow',
};

export interface NoiseResult {
  readonly period: NoisePeriod;
  readonly limit: number;
  /** LAeq − limit, dB(A) (negative when compliant); undefined when no LAeq was given. */
  readonly excess?: number;
  /** Lmax − night limit, only at night when Lmax was given. */
  readonly suddenExcess?: number;
  /** The worse of the LAeq class and the sudden-noise class. */
  readonly class: NoiseClass;
}

function laeqClass(excess: number): NoiseClass {
  if (excess > 10) return 'over_10';
  if (excess > 5) return 'over_5';
  if (excess > 0) return 'over';
  return 'compliant';
}

/** Classifies an LAeq (and at night an Lmax) against the zone's limit at time `at`. */
export function classifyNoise(input: { laeq?: number; lmax?: number }, zone: NoiseZone, at: Date, options: NoisePeriodOptions = {}): NoiseResult {
  const period = options.period ?? noisePeriodAt(at, options);
  const limit = noiseLimit(zone, period);
  let cls: NoiseClass = 'compliant';
  let excess: number | undefined;
  let suddenExcess: number | undefined;
  if (input.laeq !== undefined) {
    excess = requireFinite('laeq', input.laeq) - limit;
    cls = laeqClass(excess);
  }
  if (period === 'night' && input.lmax !== undefined) {
    suddenExcess = requireFinite('lmax', input.lmax) - limit;
    if (suddenExcess > NIGHT_SUDDEN_MARGIN_DB && NOISE_CLASSES.indexOf(cls) < NOISE_CLASSES.indexOf('over_5')) cls = 'night_sudden';
  }
  return { period, limit, ...(excess !== undefined ? { excess } : {}), ...(suddenExcess !== undefined ? { suddenExcess } : {}), class: cls };
}
