export { DOMAINS, isDomain } from './domain-ids.ts';
export type { Domain } from './domain-ids.ts';
export { DOMAIN_SPECS, COMMON_METRICS, STAT_FIELD_SUFFIXES, metricSpec, fieldSpec, splitStatField } from './domains.ts';
export type { DomainSpec, MetricSpec, StatFieldSuffix } from './domains.ts';

// The sensor catalogue (docs/catalogue.md): metrics, domains and station profiles as data.
export {
  MetricDefSchema,
  DomainDefSchema,
  CatalogueSchema,
  ProfileSchema,
  ProfileAttributeSchema,
  PROFILE_ID_PATTERN,
  METRIC_ID_PATTERN,
} from './catalogue/catalogue-schema.ts';
export type { MetricDef, DomainDef, Catalogue, Profile, ProfileInput } from './catalogue/catalogue-schema.ts';
export { CATALOGUE, BUILTIN_PROFILES, PROFILES_VERSION, CATALOGUE_DEFAULT_RULE_DEFINITIONS } from './catalogue/catalogue.ts';
export { resolveProfile, missingProfileAttributes, ProfileError } from './catalogue/resolve-profile.ts';
export type { ResolvedProfile } from './catalogue/resolve-profile.ts';
export {
  HJ212_CODES,
  HJ212_VALUE_SUFFIXES,
  HJ212_META_SUFFIXES,
  HJ212_DEFAULT_TABLE,
  hj212CodeTable,
  hj212CodeTableFor,
} from './catalogue/hj212-fields.ts';
export type { Hj212Code, Hj212CodeTable } from './catalogue/hj212-fields.ts';
export { addCorrectedValues } from './catalogue/add-corrected-values.ts';
export { QUALITIES, HJ212_FLAG_QUALITY, QUALITY_LABEL, isTrustworthy } from './quality.ts';
export type { Quality } from './quality.ts';
export {
  TOPIC_ROOT,
  UP_KINDS,
  DOWN_KINDS,
  DEVICE_ID_PATTERN,
  isDeviceId,
  upTopic,
  downTopic,
  parseTopic,
  isOwnDownFilter,
} from './topics.ts';
export type { UpKind, DownKind, ParsedTopic } from './topics.ts';
export { MAX_READINGS_PER_MESSAGE, MAX_TIMESTAMP_MS, MAX_VALUES_PER_READING } from './envelope-limits.ts';
export {
  QualityInputSchema,
  ValueInputSchema,
  TimestampSchema,
  ReadingInputSchema,
  ReadingsMessageSchema,
  normaliseReadingsMessage,
  readingsJsonSchema,
} from './envelope.ts';
export type { Reading, ReadingsMessage, ReadingsMessageInput } from './envelope.ts';
export { QUALITY_INPUTS, parseReadingsMessage } from './parse-readings-message.ts';
export { formatEnvelopeIssues } from './envelope-issues.ts';
export type { ParsedReadingsMessage } from './parse-readings-message.ts';
export { decodePayload, encodePayload, payloadText, sniffEncoding } from './payload-codec.ts';
export type { DecodeResult, PayloadEncoding } from './payload-codec.ts';
export { validateReadings } from './validate-readings.ts';
export type { ValidateOptions, ValidatedReadings, RejectedReading } from './validate-readings.ts';
export { StationInputSchema, StationUpdateSchema } from './station.ts';
export { plainNameSchema, plainTextSchema } from './plain-text.ts';
export { urlForLog } from './url-for-log.ts';
export type { Station, StationInput, StationUpdate } from './station.ts';
export { readingToPoint, stationInfoPoint } from './points.ts';
export { Backoff, backoffDelayMs } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export type { PointData, StationTags } from './points.ts';

// National classifications (HJ 633, GB 3838, drought, fire danger, reservoir levels, warning levels).

export { CLASSIFY_ERROR_CODES, ClassifyError, requireFinite } from './classify/classify-error.ts';
export type { ClassifyErrorCode } from './classify/classify-error.ts';

export {
  WARNING_LEVELS,
  WARNING_LEVEL_INFO,
  isWarningLevel,
  warningLevelRank,
  compareWarningLevels,
  maxWarningLevel,
} from './classify/warning-level.ts';
export type { WarningLevel, WarningLevelInfo } from './classify/warning-level.ts';

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
} from './classify/aqi.ts';
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
} from './classify/aqi.ts';

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
} from './classify/water-class.ts';
export type {
  WaterClass,
  WaterQualityLabel,
  WaterFactor,
  WaterBody,
  ClassLimits,
  WaterClassOptions,
  WaterValues,
  WaterClassResult,
} from './classify/water-class.ts';

export {
  DROUGHT_LEVELS,
  DROUGHT_LEVEL_LABEL,
  DEFAULT_DROUGHT_THRESHOLDS,
  validateDroughtThresholds,
  droughtLevel,
  DROUGHT_WARNING_LEVEL,
  droughtWarningLevel,
} from './classify/drought-level.ts';
export type { DroughtLevel, DroughtLabel, DroughtThresholds } from './classify/drought-level.ts';

export { WIND_FORCE_MIN_SPEED_MPS, windForceFromSpeed } from './classify/wind-force.ts';

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
} from './classify/fire-danger.ts';
export type {
  FireDangerLevel,
  FireDangerLevelInfo,
  ScoreBand,
  ScoreBands,
  FireScoringTable,
  FireDangerInput,
  FireDangerResult,
} from './classify/fire-danger.ts';

export {
  RESERVOIR_STATES,
  RESERVOIR_STATE_LABEL,
  RESERVOIR_STATE_WARNING_LEVEL,
  CHINA_UTC_OFFSET_MINUTES,
  monthDayOf,
  floodLimitAt,
  validateReservoirLevels,
  reservoirState,
} from './classify/reservoir-state.ts';
export type {
  StagedFloodLimit,
  ReservoirLevels,
  ReservoirStateName,
  ReservoirStateOptions,
  ReservoirStateResult,
} from './classify/reservoir-state.ts';

export { NOISE_ZONES, GB3096_LIMITS, NIGHT_SUDDEN_MARGIN_DB, NOISE_CLASSES, NOISE_CLASS_WARNING_LEVEL, isNoiseZone, noisePeriodAt, noiseLimit, classifyNoise } from './classify/noise-zone.ts';
export type { NoiseZone, NoisePeriod, NoiseClass, NoiseResult, NoisePeriodOptions } from './classify/noise-zone.ts';
export { RAIN_GRADES, RAIN_GRADE_LABEL, RAIN_GRADE_BOUNDS, ROLLING_RAIN_HOURS, rainGrade24h, rainGrade12h, rainstormSignal, rollingRainfall } from './classify/rain-grade.ts';
export type { RainGrade, RollingRainfall } from './classify/rain-grade.ts';
export { EMISSION_CLASSES, EMISSION_CLASS_WARNING_LEVEL, correctedConcentration, emissionClass } from './classify/emission-permit.ts';
export type { EmissionClass } from './classify/emission-permit.ts';
export { RIVER_STATES, RIVER_STATE_LABEL, RIVER_STATE_WARNING_LEVEL, DEFAULT_GUARANTEE_APPROACH_M, validateRiverLevels, riverState } from './classify/river-flood.ts';
export type { RiverState, RiverLevels } from './classify/river-flood.ts';
export {
  DEFORMATION_STAGES,
  DEFORMATION_STAGE_LABEL,
  DEFORMATION_STAGE_WARNING_LEVEL,
  DEFAULT_TANGENT_THRESHOLDS,
  tangentAngle,
  deformationStage,
  displacementKinematics,
} from './classify/landslide-deformation.ts';
export type { DeformationStage, TangentThresholds } from './classify/landslide-deformation.ts';

export { AgentConfigSchema, SourceConfigSchema, OpcuaItemSchema, OpcuaCommandSchema } from './agent-config.ts';
export type { AgentConfig, AgentConfigInput, SourceConfig, OpcuaItem, OpcuaCommand } from './agent-config.ts';
export { ModbusPointSchema, ModbusGroupSchema, ModbusCommandSchema, MODBUS_TABLES, MODBUS_TYPES, modbusWords, modbusTypeOf, modbusCommandValue } from './modbus-config.ts';
export type { ModbusPoint, ModbusGroup, ModbusCommand, ModbusType } from './modbus-config.ts';
