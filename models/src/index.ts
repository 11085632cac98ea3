export { DOMAINS, DOMAIN_SPECS, COMMON_METRICS, isDomain, metricSpec } from './domains.ts';
export type { Domain, DomainSpec, MetricSpec } from './domains.ts';
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
export {
  MAX_READINGS_PER_MESSAGE,
  MAX_VALUES_PER_READING,
  QualityInputSchema,
  ValueInputSchema,
  TimestampSchema,
  ReadingInputSchema,
  ReadingsMessageSchema,
  normaliseReadingsMessage,
  readingsJsonSchema,
} from './envelope.ts';
export type { Reading, ReadingsMessage, ReadingsMessageInput } from './envelope.ts';
export { parseReadingsMessage } from './parse-readings-message.ts';
export { formatEnvelopeIssues } from './envelope-issues.ts';
export type { ParsedReadingsMessage } from './parse-readings-message.ts';
export { decodePayload, encodePayload, payloadText, sniffEncoding } from './payload-codec.ts';
export type { DecodeResult, PayloadEncoding } from './payload-codec.ts';
export { validateReadings } from './validate-readings.ts';
export type { ValidateOptions, ValidatedReadings, RejectedReading } from './validate-readings.ts';
export { StationInputSchema, StationUpdateSchema } from './station.ts';
export { plainNameSchema, plainTextSchema } from './plain-text.ts';
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

export { AgentConfigSchema, SourceConfigSchema, OpcuaItemSchema, OpcuaCommandSchema } from './agent-config.ts';
export type { AgentConfig, AgentConfigInput, SourceConfig, OpcuaItem, OpcuaCommand } from './agent-config.ts';
export { ModbusPointSchema, ModbusGroupSchema, ModbusCommandSchema, MODBUS_TABLES, MODBUS_TYPES, modbusWords, modbusTypeOf, modbusCommandValue } from './modbus-config.ts';
export type { ModbusPoint, ModbusGroup, ModbusCommand, ModbusType } from './modbus-config.ts';
