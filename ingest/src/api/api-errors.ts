/**
 * Error catalogue of the HTTP API: every 4xx/5xx answer carries one of these codes in
 * `{ error: { code, message, field? } }` (http-error.ts), with the status the code always has.
 * `message` here says what the code means; an answer's own message names the thing and the
 * reason. Documented for integrators in docs/api-errors.md (a test keeps the two in step).
 */

export interface ApiErrorDef {
  /** The HTTP status every answer with this code has. */
  readonly status: number;
  /** What the code means, for a human (the answer's message is more specific). */
  readonly message: string;
}

export const API_ERRORS = {
  API_ERR_VALIDATION: { status: 400, message: 'the path, query or body is invalid; the message and `field` name the part that is wrong' },
  API_ERR_PAGING_REPLACED: { status: 400, message: "lists page with `cursor` = the previous answer's `next`; `offset` and `before` are no longer taken" },
  API_ERR_GATEWAY_INVALID: { status: 400, message: 'the gatewayId is not a station of the same department that can carry children' },
  API_ERR_COMMAND_INVALID: { status: 400, message: 'the command is not one the station\'s agent config defines, or its arguments do not fit' },
  API_ERR_RANGE_TOO_LARGE: { status: 400, message: 'the readings range or the number of windows is beyond the limit' },
  API_ERR_BAD_REQUEST: { status: 400, message: 'the request cannot be read (e.g. the body is not valid JSON)' },
  API_ERR_UNAUTHORIZED: { status: 401, message: 'missing, wrong, expired or revoked bearer token' },
  API_ERR_SESSION_ENDED: { status: 401, message: 'the web app session has ended; sign in again' },
  API_ERR_SIGN_IN: { status: 401, message: 'wrong user name or password' },
  PROVISION_ERR_TOKEN_UNKNOWN: { status: 401, message: 'unknown bootstrap token' },
  API_ERR_FORBIDDEN: { status: 403, message: 'the role of the token or user does not hold the permission the route needs' },
  API_ERR_OUT_OF_SCOPE: { status: 403, message: 'the target belongs to a department outside the caller\'s scope' },
  API_ERR_CROSS_SITE: { status: 403, message: 'a change through the session cookie came from another site (Origin)' },
  API_ERR_TLS_REQUIRED: { status: 403, message: 'the API is served over HTTPS only (TLS is configured)' },
  API_ERR_NOT_FOUND: { status: 404, message: 'no such route, or no such item in the caller\'s scope' },
  API_ERR_EXISTS: { status: 409, message: 'an item with this id exists' },
  API_ERR_CONFLICT: { status: 409, message: 'the change conflicts with the current state (e.g. the last admin)' },
  API_ERR_ALERT_STATE: { status: 409, message: 'the alert cannot be acknowledged in its state' },
  API_ERR_CONFIG_VERSION: { status: 409, message: 'an agent config needs a version above the current one' },
  API_ERR_DELIVERY_PENDING: { status: 409, message: 'the webhook delivery is still pending' },
  API_ERR_SUBSCRIPTION_GONE: { status: 409, message: 'the subscription of the webhook delivery no longer exists' },
  PROVISION_ERR_TOKEN_USED: { status: 410, message: 'the bootstrap token was used already' },
  PROVISION_ERR_TOKEN_EXPIRED: { status: 410, message: 'the bootstrap token has expired' },
  API_ERR_BODY_TOO_LARGE: { status: 413, message: 'the body is larger than 1 MiB' },
  API_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'the body must be JSON, sent as content type application/json' },
  API_ERR_LOCKED_OUT: { status: 429, message: 'the address is locked out after repeated bad tokens or passwords (Retry-After)' },
  PROVISION_ERR_RATE_LIMITED: { status: 429, message: 'too many provisioning attempts from this address (Retry-After)' },
  API_ERR_INTERNAL: { status: 500, message: 'internal error (logged with its cause)' },
  API_ERR_INFLUX_UNAVAILABLE: { status: 503, message: 'InfluxDB does not answer' },
} as const satisfies Record<string, ApiErrorDef>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === 'string' && Object.hasOwn(API_ERRORS, code);
}
