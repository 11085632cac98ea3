/**
 * National classification functions: pure mappings from readings to the levels, classes and
 * warnings of Chinese standards (HJ 633, GB 3838, GB/T 32136, LY/T 1172, reservoir levels).
 */

export { CLASSIFY_ERROR_CODES, ClassifyError, requireFinite } from './classify-error.ts';
export type { ClassifyErrorCode } from './classify-error.ts';

export {
  WARNING_LEVELS,
  WARNING_LEVEL_INFO,
  isWarningLevel,
  warningLevelRank,
  compareWarningLevels,
  maxWarningLevel,
} from './warning-level.ts';
export type { WarningLevel, WarningLevelInfo } from './warning-level.ts';

export {
  AQI_POLLUTANTS,
  AQI_POLLUTANT_INFO,
  IAQI_ANCHORS,
  AQI_BREAKPOINTS,
  AQI_LEVELS,
  iaqi,
  aqiLevelFor,
  computeAqi,
  realtimeAqiInputs,
  computeRealtimeAqi,
  realtimeAqiLevel,
} from './aqi.ts';
export type {
  AqiPollutant,
  AqiPollutantInfo,
  AqiLevel,
  AqiCategory,
  AqiColorName,
  AqiColor,
  AqiLevelInfo,
  AqiUnscoredReason,
  AqiResult,
  RealtimeAirValues,
} from './aqi.ts';

export {
  WATER_CLASSES,
  WATER_CLASS_LABEL,
  WATER_FACTORS,
  WATER_FACTOR_INFO,
  GB3838_PH_RANGE,
  GB3838_LIMITS,
  classLimitsFor,
  waterFactorClass,
  classifyWater,
} from './water-class.ts';
export type {
  WaterClass,
  WaterQualityLabel,
  WaterFactor,
  WaterBody,
  ClassLimits,
  WaterClassOptions,
  WaterValues,
  WaterClassResult,
} from './water-class.ts';

export {
  DROUGHT_LEVELS,
  DROUGHT_LEVEL_LABEL,
  DEFAULT_DROUGHT_THRESHOLDS,
  validateDroughtThresholds,
  droughtLevel,
  DROUGHT_WARNING_LEVEL,
  droughtWarningLevel,
} from './drought-level.ts';
export type { DroughtLevel, DroughtLabel, DroughtThresholds } from './drought-level.ts';

export { WIND_FORCE_MIN_SPEED_MPS, windForceFromSpeed } from './wind-force.ts';

export {
  FIRE_DANGER_LEVELS,
  FIRE_DANGER_LEVEL_INFO,
  fireDangerLevelFromIndex,
  FIRE_DANGER_WARNING_LEVEL,
  fireWarningLevel,
  DEFAULT_FIRE_SCORING,
  validateFireScoring,
  scoreFromBands,
  computeFireDangerIndex,
} from './fire-danger.ts';
export type {
  FireDangerLevel,
  FireDangerLevelInfo,
  ScoreBand,
  ScoreBands,
  FireScoringTable,
  FireDangerInput,
  FireDangerResult,
} from './fire-danger.ts';

export {
  RESERVOIR_STATES,
  RESERVOIR_STATE_LABEL,
  RESERVOIR_STATE_WARNING_LEVEL,
  CHINA_UTC_OFFSET_MINUTES,
  monthDayOf,
  floodLimitAt,
  validateReservoirLevels,
  reservoirState,
} from './reservoir-state.ts';
export type {
  StagedFloodLimit,
  ReservoirLevels,
  ReservoirStateName,
  ReservoirStateOptions,
  ReservoirStateResult,
} from './reservoir-state.ts';
