/**
 * Error catalogue of the OPC-UA source. Connection trouble never throws out of the source (it
 * is logged, counted and retried); only invalid options throw, as `OpcuaError`. Command
 * refusals travel as `{ ok: false, error }` whose text starts with the code.
 */

export const OPCUA_ERRORS = {
  EDGE_ERR_OPCUA_OPTIONS_INVALID: 'invalid OPC-UA source options',
  EDGE_ERR_OPCUA_PKI: 'cannot prepare the agent PKI folder',
  EDGE_ERR_OPCUA_NOT_CONNECTED: 'no session with the OPC-UA server',
  EDGE_ERR_OPCUA_UNKNOWN_COMMAND: 'no such command in the OPC-UA source configuration',
  EDGE_ERR_OPCUA_COMMAND_ARGS: 'invalid command arguments',
  EDGE_ERR_OPCUA_COMMAND_FAILED: 'the OPC-UA server did not carry out the command',
} as const;

export type OpcuaErrorCode = keyof typeof OPCUA_ERRORS;

export class OpcuaError extends Error {
  readonly code: OpcuaErrorCode;
  constructor(code: OpcuaErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${OPCUA_ERRORS[code]}: ${detail}` : OPCUA_ERRORS[code], options);
    this.name = 'OpcuaError';
    this.code = code;
  }
}

/** `CODE: message: detail` — the text of a refused command. */
export function opcuaErrorText(code: OpcuaErrorCode, detail?: string): string {
  return `${code}: ${detail ? `${OPCUA_ERRORS[code]}: ${detail}` : OPCUA_ERRORS[code]}`;
}
