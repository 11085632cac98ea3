/**
 * Error catalogue of the HJ 212 source. Stream problems travel as events carrying these codes
 * (the listener never throws on input); only invalid options throw, as `Hj212Error`.
 */

export const HJ212_ERRORS = {
  EDGE_ERR_HJ212_BAD_CRC: 'CRC does not match the data segment',
  EDGE_ERR_HJ212_BAD_LENGTH: 'length field unreadable, too large, or not ending at \\r\\n',
  EDGE_ERR_HJ212_GARBAGE: 'bytes outside any frame',
  EDGE_ERR_HJ212_TRUNCATED: 'frame cut short',
  EDGE_ERR_HJ212_OVERFLOW: 'pending frame exceeds the buffer limit',
  EDGE_ERR_HJ212_PACKET_INVALID: 'data segment is not a valid HJ 212 packet',
  EDGE_ERR_HJ212_OPTIONS_INVALID: 'invalid HJ 212 server options',
} as const;

export type Hj212ErrorCode = keyof typeof HJ212_ERRORS;

export class Hj212Error extends Error {
  readonly code: Hj212ErrorCode;
  constructor(code: Hj212ErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${HJ212_ERRORS[code]}: ${detail}` : HJ212_ERRORS[code], options);
    this.name = 'Hj212Error';
    this.code = code;
  }
}
