export { hj212Crc, hj212CrcHex } from './crc.ts';
export { HJ212_ERRORS, Hj212Error } from './errors.ts';
export type { Hj212ErrorCode } from './errors.ts';
export { Hj212FrameParser, HJ212_FRAME_PARSER_DEFAULTS, HJ212_STANDARD_MAX_DATA } from './frame-parser.ts';
export type { Hj212Frame, Hj212FrameError, Hj212FrameEvent, Hj212FrameErrorCode, Hj212FrameParserOptions } from './frame-parser.ts';
export { encodeHj212Frame, HJ212_MAX_DATA_LENGTH } from './frame-encoder.ts';
export {
  HJ212_VERSION_BITS,
  decodeHj212Flag,
  encodeHj212Flag,
  parseHj212Packet,
  parseHj212Cp,
  readHj212Fields,
  encodeHj212Cp,
  encodeHj212Data,
  encodeHj212Packet,
} from './packet.ts';
export type { Hj212Flag, Hj212Version, Hj212Cp, Hj212CpInput, Hj212Packet, Hj212PacketResult, Hj212PacketFields } from './packet.ts';
export { resolveFactor } from './factor-map.ts';
export type { FactorTarget, FactorOverrides, ResolvedFactor } from './factor-map.ts';
export { CST_OFFSET_MINUTES, parseHj212Time, formatHj212Time } from './hj212-time.ts';
export { HJ212_DATA_KINDS, HJ212_VALUE_SUFFIX, hj212ToReadings } from './to-readings.ts';
export type { Hj212ToReadingsOptions, Hj212ToReadingsResult, Hj212DeadField } from './to-readings.ts';
export { Hj212Server, HJ212_SERVER_DEFAULTS, Hj212ServerOptionsSchema, Hj212DeviceSchema } from './hj212-server.ts';
export type { Hj212ServerOptions, Hj212ServerStats, Hj212Device, Hj212ReadingsContext, Hj212ReadingsHandler, Hj212DeadFieldsHandler } from './hj212-server.ts';
