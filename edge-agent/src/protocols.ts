/**
 * The field protocols' codecs (`@shanshui/edge-agent/protocols`), for tests and simulators that
 * play a device: HJ 212 packets and times, SL 651 frames and reports, Modbus register layouts.
 * Pure: no I/O.
 */
export { encodeHj212Packet, parseHj212Packet } from './sources/hj212/packet.ts';
export type { Hj212PacketFields } from './sources/hj212/packet.ts';
export { formatHj212Time, parseHj212Time } from './sources/hj212/hj212-time.ts';
export { encodeSl651Frame, encodeSl651KeepAlive, encodeSl651Report, encodeSl651ReportBody } from './sources/sl651/encode.ts';
export type { Sl651FrameInput, Sl651ReportInput } from './sources/sl651/encode.ts';
export { EOT, ETB, ETX, Sl651FrameParser } from './sources/sl651/frame-parser.ts';
export type { Sl651Frame, Sl651FrameEvent } from './sources/sl651/frame-parser.ts';
export { decodeRegisters, encodeRegisters } from './sources/modbus/register-codec.ts';
export type { RegisterLayout } from './sources/modbus/register-codec.ts';
