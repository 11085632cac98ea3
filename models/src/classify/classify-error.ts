/**
 * Errors thrown by the classifiers. They only throw on programming or configuration mistakes
 * (a non-numeric reading, an inconsistent threshold table, reservoir levels in the wrong order);
 * a reading that merely cannot be scored yields `null` instead, so rule loops never crash on data.
 */

export const CLASSIFY_ERROR_CODES = [
  /** An argument is not a finite number or lies outside the domain the function accepts. */
  'MODELS_ERR_CLASSIFY_VALUE_INVALID',
  /** A configurable threshold or scoring table is inconsistent (unordered, no catch-all band). */
  'MODELS_ERR_CLASSIFY_TABLE_INVALID',
  /** A reservoir's characteristic levels are missing, unordered, or their staged periods overlap. */
  'MODELS_ERR_RESERVOIR_LEVELS_INVALID',
] as const;
export type ClassifyErrorCode = (typeof CLASSIFY_ERROR_CODES)[number];

/** Error with a stable `code` so callers can branch without parsing messages. */
export class ClassifyError extends Error {
  readonly code: ClassifyErrorCode;

  constructor(code: ClassifyErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClassifyError';
    this.code = code;
  }
}

/** Throws MODELS_ERR_CLASSIFY_VALUE_INVALID unless `value` is a finite number; returns it. */
export function requireFinite(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ClassifyError('MODELS_ERR_CLASSIFY_VALUE_INVALID', `${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}
