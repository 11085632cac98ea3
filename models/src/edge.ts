/**
 * `@shanshui/models/edge`: the part of models an edge agent's always-loaded code needs — its
 * config schema, topics, the payload codec and envelope limits, reconnect backoff — without the
 * sensor catalogue, the classifications or the platform's schemas. A bundler splitting the agent
 * into chunks keeps whatever the main index reaches in the chunk the program loads first, so the
 * agent's core imports from here and only its protocol sources (loaded with `import()`) use the
 * full index (docs/benchmarks.md, "Edge agent": about 5 MiB of an idle agent's memory).
 */
export { DOMAINS, isDomain } from './domain-ids.ts';
export type { Domain } from './domain-ids.ts';
export { AgentConfigSchema, SourceConfigSchema } from './agent-config.ts';
export type { AgentConfig, AgentConfigInput, SourceConfig } from './agent-config.ts';
export { TOPIC_ROOT, DEVICE_ID_PATTERN, isDeviceId, upTopic, downTopic } from './topics.ts';
export type { UpKind, DownKind } from './topics.ts';
export { MAX_READINGS_PER_MESSAGE, MAX_VALUES_PER_READING } from './envelope-limits.ts';
export { decodePayload, encodePayload, sniffEncoding } from './payload-codec.ts';
export type { DecodeResult, PayloadEncoding } from './payload-codec.ts';
export { Backoff, backoffDelayMs } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export { modbusWords, modbusTypeOf, modbusCommandValue } from './modbus-config.ts';
export type { ModbusPoint, ModbusGroup, ModbusCommand, ModbusType } from './modbus-config.ts';
export type { Quality } from './quality.ts';
