/**
 * Child stations whose publishes the platform keeps refusing (deleted, detached, moved to
 * another gateway): the broker closes the connection without PUBACK, and the refused message
 * would be sent first again after every reconnect, holding up every other station.
 *
 * After a connection is lost with child messages unacknowledged, those stations are *careful*:
 * the uplink sends one message at a time (`window`) until each has had a PUBACK. A careful
 * child whose lone message in flight loses the connection within `refusalWindowMs` of being
 * sent (a refusal is prompt; a dying link is not) `refusalsToPark` times in a row is *parked*:
 * its rows stay in the buffer, unsent, until `unparkAll()` — on a config applied, after
 * `parkRetryMs` (doubling each time the same station is parked again, up to a day), or at a
 * restart. No I/O: the uplink owns the connection and the timer.
 */

export interface StationParkingOptions {
  /** Connections lost in a row with only one child station's message in flight before it is parked. */
  readonly refusalsToPark: number;
  /** First wait before a parked station is tried again, ms. */
  readonly parkRetryMs: number;
  /** A lone message counts against its station only when the connection closed this soon after it was sent, ms. */
  readonly refusalWindowMs: number;
}

/** A message sent and not yet acknowledged: its station (undefined: the agent's own) and when. */
export interface UnackedMessage {
  readonly station: string | undefined;
  readonly sentAt: number;
}

/** Longest wait before a parked station is retried, ms (a day). */
const MAX_RETRY_MS = 86_400_000;

export class StationParking {
  readonly #o: StationParkingOptions;
  /** Child stations with a message lost in a connection drop and no PUBACK since. */
  readonly #careful = new Set<string>();
  /** Child station → connections lost in a row with only its message in flight. */
  readonly #strikes = new Map<string, number>();
  readonly #parked = new Set<string>();
  /** Times each child station has been parked in this run: the retry waits double each time. */
  readonly #timesParked = new Map<string, number>();

  constructor(options: StationParkingOptions) {
    this.#o = options;
  }

  /** Messages the uplink may have in flight now: one while any station must prove itself. */
  window(maxInflight: number): number {
    return this.#careful.size > 0 ? 1 : maxInflight;
  }

  isParked(station: string | undefined): boolean {
    return station !== undefined && this.#parked.has(station);
  }

  parked(): string[] {
    return [...this.#parked];
  }

  /** A message of `station` was acknowledged: whatever was held against it is forgotten. */
  acknowledged(station: string | undefined): void {
    if (station === undefined) return;
    this.#careful.delete(station);
    this.#strikes.delete(station);
    this.#timesParked.delete(station);
  }

  /** At a new connection: careful stations with no rows left (dropped for the quota) have nothing to prove. */
  forgetGone(hasRows: (station: string) => boolean): void {
    for (const station of this.#careful) {
      if (hasRows(station)) continue;
      this.#careful.delete(station);
      this.#strikes.delete(station);
    }
  }

  /**
   * The connection is gone with `lost` unacknowledged. Returns the station parked now and how
   * long until it is tried again, if any.
   */
  connectionLost(lost: readonly UnackedMessage[], now: number): { station: string; retryInMs: number; strikes: number } | undefined {
    // A refusal closes the connection at once; a link that dies (NB-IoT coverage, a keep-alive
    // timeout) takes longer — that is no evidence against the station.
    const promptly = lost.length === 1 && now - lost[0]!.sentAt <= this.#o.refusalWindowMs;
    const lone = promptly ? lost[0]!.station : undefined;
    let result: { station: string; retryInMs: number; strikes: number } | undefined;
    if (lone !== undefined && this.#careful.size > 0) {
      const strikes = (this.#strikes.get(lone) ?? 0) + 1;
      this.#strikes.set(lone, strikes);
      if (strikes >= this.#o.refusalsToPark) {
        this.#parked.add(lone);
        this.#careful.delete(lone);
        this.#strikes.delete(lone);
        const times = (this.#timesParked.get(lone) ?? 0) + 1;
        this.#timesParked.set(lone, times);
        result = { station: lone, strikes, retryInMs: Math.min(this.#o.parkRetryMs * 2 ** (times - 1), MAX_RETRY_MS) };
      }
    }
    for (const m of lost) if (m.station !== undefined && !this.#parked.has(m.station)) this.#careful.add(m.station);
    return result;
  }

  /** Every parked station may send again. Returns those that were parked. */
  unparkAll(): string[] {
    const was = [...this.#parked];
    this.#parked.clear();
    return was;
  }
}
