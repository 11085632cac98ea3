/** Error catalogue of the broker. MQTT 3.1.1 CONNACK return codes travel as `returnCode`. */

export const BROKER_ERRORS = {
  BROKER_ERR_BAD_CREDENTIALS: { returnCode: 4, message: 'bad user name or password' },
  BROKER_ERR_NOT_AUTHORIZED: { returnCode: 5, message: 'not authorized' },
  BROKER_ERR_LOCKED_OUT: { returnCode: 5, message: 'locked out after repeated bad credentials' },
  BROKER_ERR_CLIENT_ID: { returnCode: 2, message: 'client id must equal the device id (user name)' },
  BROKER_ERR_TOPIC_DENIED: { returnCode: 0, message: 'publish outside the device\'s own topic subtree' },
  BROKER_ERR_RATE_LIMITED: { returnCode: 0, message: 'message rate limit exceeded' },
  BROKER_ERR_PACKET_TOO_LARGE: { returnCode: 0, message: 'packet larger than the configured limit' },
  BROKER_ERR_TOO_MANY_CONNECTIONS: { returnCode: 3, message: 'server unavailable: connection limit reached' },
} as const;

export type BrokerErrorCode = keyof typeof BROKER_ERRORS;

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  readonly returnCode: number;
  constructor(code: BrokerErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${BROKER_ERRORS[code].message}: ${detail}` : BROKER_ERRORS[code].message, options);
    this.name = 'BrokerError';
    this.code = code;
    this.returnCode = BROKER_ERRORS[code].returnCode;
  }
}
