/**
 * The subscription watchdog: when neither a data change nor a subscription keep-alive arrived
 * within `watchdogMs` while connected — a subscription that silently stopped delivering, a known
 * failure of other gateways — the subscription must be built again (and, if the session refuses,
 * the session too). It also keeps the reasons the server gave (a bad status, a termination) for
 * the next check. The subscription's keep-alive is chosen so several keep-alives fit in one
 * watchdog period. No I/O and no timer: the source ticks it.
 */

/** Keep-alives the server should send within one watchdog period. */
export const KEEP_ALIVES_PER_WATCHDOG = 3;
/** A subscription survives this long on the server without publish requests (a network blip), ms. */
export const SUBSCRIPTION_LIFETIME_MS = 300_000;

/** Keep-alive and lifetime counts to request for a subscription, so that keep-alives come often enough for the watchdog. */
export function subscriptionCounts(watchdogMs: number, publishingIntervalMs: number): { keepAliveCount: number; lifetimeCount: number } {
  const keepAliveCount = Math.max(2, Math.floor(watchdogMs / (KEEP_ALIVES_PER_WATCHDOG * publishingIntervalMs)));
  const lifetimeCount = Math.max(3 * keepAliveCount, Math.ceil(SUBSCRIPTION_LIFETIME_MS / publishingIntervalMs));
  return { keepAliveCount, lifetimeCount };
}

/** What the watchdog looks at in the source's connection. */
export interface WatchdogView {
  /** The first connection produced a session (before that, the connect loop owns the client). */
  readonly established: boolean;
  /** A rebuild is running, or node-opcua is repairing the connection by itself. */
  readonly busy: boolean;
  readonly hasSession: boolean;
  readonly connected: boolean;
}

export class SubscriptionWatchdog {
  readonly #watchdogMs: number;
  #effectiveMs: number;
  #lastActivity: number;
  #requested: string | undefined;

  constructor(watchdogMs: number, now: number) {
    this.#watchdogMs = watchdogMs;
    this.#effectiveMs = watchdogMs;
    this.#lastActivity = now;
  }

  /** How often to check, ms. */
  get checkEveryMs(): number {
    return Math.max(250, Math.floor(this.#watchdogMs / 4));
  }

  get effectiveMs(): number {
    return this.#effectiveMs;
  }

  /** A data change, keep-alive or (re)connection: the subscription is alive. */
  touch(now: number): void {
    this.#lastActivity = now;
  }

  /** The server said the subscription is broken: rebuild it at the next check. */
  request(reason: string): void {
    this.#requested = reason;
  }

  /** A rebuild starts (or the source starts over): what was requested is being acted on. */
  clearRequest(): void {
    this.#requested = undefined;
  }

  /**
   * The server revised the keep-alive: a watchdog shorter than two keep-alive periods would
   * rebuild a healthy subscription. Returns whether the watchdog was widened.
   */
  fitKeepAlive(keepAlivePeriodMs: number): boolean {
    this.#effectiveMs = Math.max(this.#watchdogMs, 2 * keepAlivePeriodMs);
    return this.#effectiveMs > this.#watchdogMs;
  }

  /** Why the subscription must be rebuilt now, or undefined. */
  due(view: WatchdogView, now: number): string | undefined {
    if (!view.established || view.busy) return undefined;
    if (this.#requested !== undefined) return this.#requested;
    const silentMs = now - this.#lastActivity;
    if (silentMs <= this.#effectiveMs) return undefined;
    if (!view.hasSession) return 'no session';
    if (view.connected) return `no data change or keep-alive for ${silentMs} ms`;
    return undefined;
  }
}
