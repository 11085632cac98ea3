/**
 * OPC-UA StatusCode → Shanshui quality.
 *
 * OPC UA Part 4 §7.39 puts the severity in the top two bits (00 Good, 01 Uncertain, 10/11 Bad)
 * and the sub-code in bits 16–29; the low 16 bits (info type, limit bits, overflow) are ignored
 * here. Part 8 §6.3.2 defines the data-access codes mapped below. The qualities are HJ 212's
 * data flags (models/src/quality.ts), so the choice is the nearest flag, and — what matters
 * downstream — only values a rule may trust come out as `ok` or `manual` (`isTrustworthy`):
 *
 * | StatusCode                                                     | quality       |
 * |----------------------------------------------------------------|---------------|
 * | Good, any other Good*                                          | `ok`          |
 * | GoodLocalOverride, UncertainSubstituteValue (set by an operator)| `manual` (S) |
 * | UncertainEngineeringUnitsExceeded, BadOutOfRange               | `over_range` (T) |
 * | UncertainSensorCalibration                                     | `calibration` (C) |
 * | BadOutOfService (the source is switched off)                   | `stopped` (F) |
 * | BadCommunicationError, BadNotConnected, BadNoCommunication, BadServerNotConnected, BadWaitingForInitialData, BadTimeout, UncertainLastUsableValue, UncertainNoCommunicationLastUsableValue, UncertainInitialValue (stale or never fetched from the field device) | `comm_error` (B) |
 * | every other Bad* (BadSensorFailure, BadDeviceFailure, BadConfigurationError…) | `fault` (D) |
 * | every other Uncertain* (UncertainSensorNotAccurate, UncertainSubNormal, Uncertain…) | `fault` (D) |
 *
 * Generic Uncertain becomes `fault`, not `maintenance` or `manual`: it says the device doubts
 * its own value, no technician is involved, and it must not reach rules as trustworthy.
 */
import type { Quality } from '@shanshui/models/edge';
import { StatusCodes } from 'node-opcua';

/** Anything with a StatusCode's numeric value (node-opcua StatusCode, or a raw number). */
export type StatusCodeLike = number | { readonly value: number };

const SUBCODE: Readonly<Record<number, Quality>> = Object.fromEntries(
  (
    [
      [StatusCodes.GoodLocalOverride, 'manual'],
      [StatusCodes.UncertainSubstituteValue, 'manual'],
      [StatusCodes.UncertainEngineeringUnitsExceeded, 'over_range'],
      [StatusCodes.BadOutOfRange, 'over_range'],
      [StatusCodes.UncertainSensorCalibration, 'calibration'],
      [StatusCodes.BadOutOfService, 'stopped'],
      [StatusCodes.BadCommunicationError, 'comm_error'],
      [StatusCodes.BadNotConnected, 'comm_error'],
      [StatusCodes.BadNoCommunication, 'comm_error'],
      [StatusCodes.BadServerNotConnected, 'comm_error'],
      [StatusCodes.BadWaitingForInitialData, 'comm_error'],
      [StatusCodes.BadTimeout, 'comm_error'],
      [StatusCodes.UncertainLastUsableValue, 'comm_error'],
      [StatusCodes.UncertainNoCommunicationLastUsableValue, 'comm_error'],
      [StatusCodes.UncertainInitialValue, 'comm_error'],
    ] as const
  ).map(([code, quality]) => [subcode(code.value), quality]),
);

function subcode(value: number): number {
  return (value & 0xffff0000) >>> 0;
}

export function opcuaStatusToQuality(statusCode: StatusCodeLike): Quality {
  const value = typeof statusCode === 'number' ? statusCode : statusCode.value;
  const mapped = SUBCODE[subcode(value)];
  if (mapped) return mapped;
  const severity = value >>> 30;
  return severity === 0 ? 'ok' : 'fault';
}
