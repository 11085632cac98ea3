/**
 * Per-device message sequence accounting: every device numbers its messages (`seq`); the
 * platform counts gaps (messages that never came), duplicates (resends) and late arrivals,
 * so a technician can see a station that is losing data. A sequence that jumps far back is
 * taken as a device restart (counter reset), not as thousands of duplicates. A message that
 * arrived but was refused whole (dead-lettered) fills its place in the sequence and is counted
 * as `rejected`: the network delivered it. A payload whose `seq` cannot be read (not JSON or
 * CBOR) cannot be placed, so its number stays among the missing.
 */

export interface SequenceStats {
  /** Highest sequence number seen since the last reset. */
  lastSeq: number;
  received: number;
  duplicates: number;
  /** Times a jump forward left a hole. */
  gaps: number;
  /** Messages inside holes that are still missing. */
  missing: number;
  /** Messages that arrived after a later one (filled a hole). */
  late: number;
  /** Messages that arrived but were refused whole (dead letters), counted by their `seq`. */
  rejected: number;
  resets: number;
  lastAt: string;
}

export type SequenceVerdict = 'first' | 'next' | 'gap' | 'duplicate' | 'late' | 'reset';

/** How far back a sequence number is still matched against what was seen. */
const WINDOW = 1024;

interface DeviceState {
  /** `lastAt` in here is stale: the time is kept as `lastAtMs` and turned into text only when read. */
  stats: SequenceStats;
  lastAtMs: number | undefined;
  /** Bit i set: lastSeq - i was received. */
  seen: Uint8Array;
  /** The first sequence number this tracker saw of the device (where another node's history joins on, see `adopt`). */
  firstSeq: number;
}

export class SequenceTracker {
  readonly #devices = new Map<string, DeviceState>();
  readonly #dirty = new Set<string>();

  constructor(initial?: ReadonlyMap<string, SequenceStats | Omit<SequenceStats, 'rejected'>>) {
    for (const [id, stats] of initial ?? []) {
      const seen = new Uint8Array(WINDOW / 8);
      seen[0] = 1; // only lastSeq is known to have been received
      // Stats saved before `rejected` existed have none.
      this.#devices.set(id, { stats: { rejected: 0, ...stats }, lastAtMs: undefined, seen, firstSeq: stats.lastSeq });
    }
  }

  /** `rejected`: the message was dead-lettered whole (it still takes its place in the sequence). */
  observe(deviceId: string, seq: number, now?: Date, rejected = false): SequenceVerdict {
    const verdict = this.#observe(deviceId, seq, now);
    if (rejected) this.#devices.get(deviceId)!.stats.rejected++;
    return verdict;
  }

  #observe(deviceId: string, seq: number, now?: Date): SequenceVerdict {
    const state = this.#devices.get(deviceId);
    const nowMs = now ? now.getTime() : Date.now();
    this.#dirty.add(deviceId);
    if (!state) {
      const seen = new Uint8Array(WINDOW / 8);
      seen[0] = 1;
      this.#devices.set(deviceId, {
        stats: { lastSeq: seq, received: 1, duplicates: 0, gaps: 0, missing: 0, late: 0, rejected: 0, resets: 0, lastAt: '' },
        lastAtMs: nowMs,
        seen,
        firstSeq: seq,
      });
      return 'first';
    }
    const s = state.stats;
    s.received++;
    state.lastAtMs = nowMs;
    if (seq > s.lastSeq) {
      const jump = seq - s.lastSeq;
      shift(state.seen, jump);
      setBit(state.seen, 0);
      s.lastSeq = seq;
      if (jump === 1) return 'next';
      s.gaps++;
      s.missing += jump - 1;
      return 'gap';
    }
    const back = s.lastSeq - seq;
    if (back < WINDOW) {
      if (getBit(state.seen, back)) {
        s.duplicates++;
        return 'duplicate';
      }
      setBit(state.seen, back);
      s.late++;
      s.missing = Math.max(0, s.missing - 1);
      return 'late';
    }
    // Far behind: the device restarted its counter.
    s.resets++;
    s.lastSeq = seq;
    state.seen.fill(0);
    setBit(state.seen, 0);
    return 'reset';
  }

  stats(deviceId: string): SequenceStats | undefined {
    const state = this.#devices.get(deviceId);
    return state ? copyOf(state) : undefined;
  }

  all(): Map<string, SequenceStats> {
    return new Map([...this.#devices].map(([id, st]) => [id, copyOf(st)]));
  }

  /** Stats changed since the last call, for persisting. */
  takeDirty(): Map<string, SequenceStats> {
    const out = new Map<string, SequenceStats>();
    for (const id of this.#dirty) {
      const state = this.#devices.get(id);
      if (state) out.set(id, copyOf(state));
    }
    this.#dirty.clear();
    return out;
  }

  forget(deviceId: string): void {
    this.#devices.delete(deviceId);
  }

  /** The device's stats if they changed since the last save (then no longer counted as changed). */
  takeDirtyOf(deviceId: string): SequenceStats | undefined {
    if (!this.#dirty.delete(deviceId)) return undefined;
    return this.stats(deviceId);
  }

  /** Holds `stats` as another node saved them (nothing to save here). */
  put(deviceId: string, stats: SequenceStats): void {
    const seen = new Uint8Array(WINDOW / 8);
    seen[0] = 1;
    this.#devices.set(deviceId, { stats: { ...stats }, lastAtMs: undefined, seen, firstSeq: stats.lastSeq });
  }

  /**
   * A device moved here from another node: `before` is what that node counted (from the store),
   * and what this tracker saw since the device arrived (after `forget`) continues it — the step
   * from `before.lastSeq` to the first number seen here is a next, a gap or (a resend of what the
   * other node had) a duplicate. Without `before`, nothing changes.
   */
  adopt(deviceId: string, before: SequenceStats | undefined): void {
    if (!before) return;
    const here = this.#devices.get(deviceId);
    if (!here) {
      this.put(deviceId, before);
      return;
    }
    const h = here.stats;
    // Stats saved before `rejected` existed have none.
    const b: SequenceStats = { ...before, rejected: (before.rejected as number | undefined) ?? 0 };
    const merged: SequenceStats = {
      lastSeq: h.lastSeq,
      received: b.received + h.received,
      duplicates: b.duplicates + h.duplicates,
      gaps: b.gaps + h.gaps,
      missing: b.missing + h.missing,
      late: b.late + h.late,
      rejected: b.rejected + h.rejected,
      resets: b.resets + h.resets,
      lastAt: h.lastAt,
    };
    const step = here.firstSeq - b.lastSeq;
    if (step > 1) {
      merged.gaps++;
      merged.missing += step - 1;
    } else if (step <= 0 && -step < WINDOW) {
      // The first message here was one the other node had (a resend whose PUBACK was lost with the old connection).
      merged.duplicates++;
      if (b.lastSeq > h.lastSeq) {
        merged.lastSeq = b.lastSeq;
        shift(here.seen, b.lastSeq - h.lastSeq);
        setBit(here.seen, 0);
      }
    } else if (step <= 0) {
      merged.resets++;
    }
    here.stats = merged;
    here.firstSeq = b.lastSeq;
    this.#dirty.add(deviceId);
  }
}

/** The stats with `lastAt` as ISO text (one toISOString per read, not per message). */
function copyOf(state: DeviceState): SequenceStats {
  if (state.lastAtMs !== undefined) {
    state.stats.lastAt = new Date(state.lastAtMs).toISOString();
    state.lastAtMs = undefined;
  }
  return { ...state.stats };
}

function getBit(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3]! & (1 << (i & 7))) !== 0;
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3]! |= 1 << (i & 7);
}

/** Shifts the window by n (towards older): bit i moves to i + n; bits shifted past the end drop. */
export function shift(bits: Uint8Array, n: number): void {
  const total = bits.length * 8;
  if (n >= total) {
    bits.fill(0);
    return;
  }
  if (n <= 0) return;
  const bytes = n >> 3;
  const rest = n & 7;
  // Whole bytes first (copyWithin handles the overlap), then the bits within bytes, from the top down.
  if (bytes > 0) {
    bits.copyWithin(bytes, 0, bits.length - bytes);
    bits.fill(0, 0, bytes);
  }
  if (rest > 0) {
    for (let i = bits.length - 1; i > bytes; i--) bits[i] = ((bits[i]! << rest) | (bits[i - 1]! >> (8 - rest))) & 0xff;
    bits[bytes] = (bits[bytes]! << rest) & 0xff;
  }
}
