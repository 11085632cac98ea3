export { createBroker, BrokerOptionsSchema } from './create-broker.ts';
export type { AuthFailureEvent, BrokerHooks, BrokerOptions, PresenceEvent, ShanshuiBroker } from './create-broker.ts';
export { startListener } from './listeners.ts';
export type { ListenerSpec, RunningListener } from './listeners.ts';
export { BrokerError, BROKER_ERRORS } from './errors.ts';
export type { BrokerErrorCode } from './errors.ts';
export { RateLimiter } from './rate-limiter.ts';
export { FailureLockout, FAILURE_LOCKOUT_DEFAULTS } from './failure-lockout.ts';
export type { FailureLockoutOptions } from './failure-lockout.ts';
