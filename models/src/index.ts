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
export { decodePayload, encodePayload, sniffEncoding } from './payload-codec.ts';
export type { DecodeResult, PayloadEncoding } from './payload-codec.ts';
export { validateReadings } from './validate-readings.ts';
export type { ValidateOptions, ValidatedReadings, RejectedReading } from './validate-readings.ts';
export { StationInputSchema } from './station.ts';
export type { Station, StationInput } from './station.ts';
export { readingToPoint } from './points.ts';
export type { PointData, StationTags } from './points.ts';
