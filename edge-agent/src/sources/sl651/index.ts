export { sl651Crc } from './crc.ts';
export { SL651_ERRORS, Sl651Error } from './errors.ts';
export type { Sl651ErrorCode } from './errors.ts';
export { SL651_CST_OFFSET_MINUTES, decodeBcd, encodeBcd, parseSl651Time, encodeSl651Time } from './bcd.ts';
export {
  Sl651FrameParser,
  SL651_FRAME_PARSER_DEFAULTS,
  SL651_END_CHARS,
  STX,
  SYN,
  ETX,
  ETB,
  EOT,
  ENQ,
  ACK,
  NAK,
  ESC,
} from './frame-parser.ts';
export type { Sl651Frame, Sl651FrameError, Sl651FrameEvent, Sl651FrameErrorCode, Sl651FrameParserOptions } from './frame-parser.ts';
export { SL651_ELEMENT_MAP, SL651_METRICS_NOT_IN_MODELS, sl651ElementKey, resolveSl651Element } from './element-map.ts';
export type { Sl651ElementTarget, Sl651ElementInfo, Sl651ElementOverrides } from './element-map.ts';
export { SL651_FUNCTION, SL651_STATION_CLASSES, parseSl651Report } from './report.ts';
export type { Sl651Element, Sl651ObservationGroup, Sl651Report, Sl651ReportResult, Sl651ReportOptions } from './report.ts';
export { SL651_REPORT_KINDS, SL651_ARRAY_KIND, sl651ToReadings } from './to-readings.ts';
export type { Sl651ToReadingsOptions, Sl651ToReadingsResult } from './to-readings.ts';
export {
  encodeSl651Frame,
  encodeSl651Ack,
  encodeSl651Report,
  encodeSl651ReportBody,
  encodeSl651KeepAlive,
  encodeSl651Element,
} from './encode.ts';
export type { Sl651FrameInput, Sl651AckInput, Sl651ElementInput, Sl651ReportInput } from './encode.ts';
export { Sl651PacketAssembler, SL651_PACKET_ASSEMBLER_DEFAULTS } from './packet-assembler.ts';
export type { Sl651PacketAssemblerOptions, Sl651AssembleResult } from './packet-assembler.ts';
export { Sl651Server, SL651_SERVER_DEFAULTS, Sl651ServerOptionsSchema, Sl651StationSchema } from './sl651-server.ts';
export type { Sl651ServerOptions, Sl651ServerStats, Sl651Station, Sl651ReadingsContext, Sl651ReadingsHandler } from './sl651-server.ts';
