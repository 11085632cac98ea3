/**
 * Error catalogue of the edge agent program (sources keep their own catalogues). Options and
 * files that do not validate throw `AgentError` with the key named; background loops catch,
 * count and report, never crash the agent.
 */

export const AGENT_ERRORS = {
  EDGE_ERR_OPTIONS_INVALID: 'invalid options',
  EDGE_ERR_CREDENTIALS_MISSING: 'no credentials: provision the agent first',
  EDGE_ERR_CREDENTIALS_INVALID: 'credentials file is not valid',
  EDGE_ERR_CONFIG_INVALID: 'agent config rejected',
  EDGE_ERR_PROVISION_REFUSED: 'the server refused the provisioning token',
  EDGE_ERR_PROVISION_UNREACHABLE: 'the provisioning server could not be reached',
  EDGE_ERR_PROVISION_RESPONSE: 'the provisioning server answered something unexpected',
  EDGE_ERR_SOURCE_START: 'a source could not start',
  EDGE_ERR_BUFFER: 'store-and-forward buffer error',
} as const;

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${AGENT_ERRORS[code]}: ${detail}` : AGENT_ERRORS[code], options);
    this.name = 'AgentError';
    this.code = code;
  }
}

/** Formats zod issues as `key: message; …` so a bad option names its key. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
