/**
 * Error catalogue of the SL 651 source. Stream problems travel as events carrying these codes
 * (the listener never throws on input); only invalid options throw, as `Sl651Error`.
 */

export const SL651_ERRORS = {
  EDGE_ERR_SL651_BAD_CRC: 'CRC does not match the frame',
  EDGE_ERR_SL651_BAD_HEADER: 'direction bits or body start char invalid',
  EDGE_ERR_SL651_BAD_END: 'no valid end char where the length says',
  EDGE_ERR_SL651_GARBAGE: 'bytes outside any frame',
  EDGE_ERR_SL651_TRUNCATED: 'frame cut short',
  EDGE_ERR_SL651_OVERFLOW: 'pending frame exceeds the buffer limit',
  EDGE_ERR_SL651_REPORT_INVALID: 'report body cannot be read',
  EDGE_ERR_SL651_OPTIONS_INVALID: 'invalid SL 651 server options',
} as const;

export type Sl651ErrorCode = keyof typeof SL651_ERRORS;

export class Sl651Error extends Error {
  readonly code: Sl651ErrorCode;
  constructor(code: Sl651ErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${SL651_ERRORS[code]}: ${detail}` : SL651_ERRORS[code], options);
    this.name = 'Sl651Error';
    this.code = code;
  }
}
