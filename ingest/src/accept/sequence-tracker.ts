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
  /** A ring of WINDOW bits: bit `slot(n)` set = n was received, for n in (lastSeq - WINDOW, lastSeq]. */
  seen: Uint8Array;
  /** The first sequence number this tracker saw of the device (where another node's history joins on, see `continued`). */
  firstSeq: number;
  /** Cluster: what other nodes counted before this node's stay; shown continued by what was counted here. */
  prior: SequenceStats | undefined;
  /** Cluster: another node's count, only shown here (`put`); the next message here begins a stay of this node's own. */
  shown: boolean;
  /** When this stay (this tracker's own count of the device) began, ms, and its number in this tracker. */
  since: number;
  stay: number;
}

/** What one node counted of a device while it was there (cluster: saved apart from other nodes' stays, see delivery-handover.ts). */
export interface SequenceStay {
  readonly stats: SequenceStats;
  /** The first sequence number of the stay (where it joins on to the stays before it). */
  readonly firstSeq: number;
  /** When its first message came, ms: stays follow each other in this order. */
  readonly since: number;
  /** Numbers the stays of one tracker. */
  readonly stay: number;
}

export class SequenceTracker {
  readonly #devices = new Map<string, DeviceState>();
  readonly #dirty = new Set<string>();
  #stays = 0;

  constructor(initial?: ReadonlyMap<string, SequenceStats | Omit<SequenceStats, 'rejected'>>) {
    for (const [id, stats] of initial ?? []) {
      const seen = new Uint8Array(WINDOW / 8);
      setBit(seen, slot(stats.lastSeq)); // only lastSeq is known to have been received
      // Stats saved before `rejected` existed have none.
      this.#devices.set(id, { stats: { rejected: 0, ...stats }, lastAtMs: undefined, seen, firstSeq: stats.lastSeq, prior: undefined, shown: false, since: 0, stay: ++this.#stays });
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
    if (!state || state.shown) {
      const seen = new Uint8Array(WINDOW / 8);
      setBit(seen, slot(seq));
      this.#devices.set(deviceId, {
        stats: { lastSeq: seq, received: 1, duplicates: 0, gaps: 0, missing: 0, late: 0, rejected: 0, resets: 0, lastAt: '' },
        lastAtMs: nowMs,
        seen,
        firstSeq: seq,
        // Until the handover reads the store, what was shown stands for what came before.
        prior: state?.stats,
        shown: false,
        since: nowMs,
        stay: ++this.#stays,
      });
      return 'first';
    }
    const s = state.stats;
    s.received++;
    state.lastAtMs = nowMs;
    if (seq > s.lastSeq) {
      const jump = seq - s.lastSeq;
      forget(state.seen, s.lastSeq, jump);
      setBit(state.seen, slot(seq));
      s.lastSeq = seq;
      if (jump === 1) return 'next';
      s.gaps++;
      s.missing += jump - 1;
      return 'gap';
    }
    const back = s.lastSeq - seq;
    if (back < WINDOW) {
      if (getBit(state.seen, slot(seq))) {
        s.duplicates++;
        return 'duplicate';
      }
      setBit(state.seen, slot(seq));
      s.late++;
      s.missing = Math.max(0, s.missing - 1);
      return 'late';
    }
    // Far behind: the device restarted its counter.
    s.resets++;
    s.lastSeq = seq;
    state.seen.fill(0);
    setBit(state.seen, slot(seq));
    return 'reset';
  }

  stats(deviceId: string): SequenceStats | undefined {
    const state = this.#devices.get(deviceId);
    return state ? viewOf(state) : undefined;
  }

  all(): Map<string, SequenceStats> {
    return new Map([...this.#devices].map(([id, st]) => [id, viewOf(st)]));
  }

  /** Stats changed since the last call, for persisting. */
  takeDirty(): Map<string, SequenceStats> {
    const out = new Map<string, SequenceStats>();
    for (const id of this.#dirty) {
      const state = this.#devices.get(id);
      if (state) out.set(id, viewOf(state));
    }
    this.#dirty.clear();
    return out;
  }

  forget(deviceId: string): void {
    this.#devices.delete(deviceId);
  }

  /** Holds `stats` as another node saved them: shown only (nothing to save here). */
  put(deviceId: string, stats: SequenceStats): void {
    const seen = new Uint8Array(WINDOW / 8);
    setBit(seen, slot(stats.lastSeq));
    this.#devices.set(deviceId, { stats: { ...stats }, lastAtMs: undefined, seen, firstSeq: stats.lastSeq, prior: undefined, shown: true, since: 0, stay: 0 });
    this.#dirty.delete(deviceId);
  }

  /**
   * Cluster: `prior` is what other nodes counted of the device before its stay here (read from
   * the store, as often as it changes); what this tracker counts is shown continuing it. A device
   * this node has no count of its own for is shown as `prior`.
   */
  setPrior(deviceId: string, prior: SequenceStats | undefined): void {
    const state = this.#devices.get(deviceId);
    if (state && !state.shown) state.prior = prior === undefined ? undefined : { ...prior };
    else if (prior) this.put(deviceId, prior);
  }

  /** Cluster: this node's own count of the device (its stay here), if it has one. */
  stayOf(deviceId: string): SequenceStay | undefined {
    const state = this.#devices.get(deviceId);
    return state && !state.shown ? stayOf(state) : undefined;
  }

  /** Cluster: the stays counted here that changed since the last call (then no longer counted as changed). */
  takeDirtyStays(): Map<string, SequenceStay> {
    const out = new Map<string, SequenceStay>();
    for (const id of this.#dirty) {
      const state = this.#devices.get(id);
      if (state && !state.shown) out.set(id, stayOf(state));
    }
    this.#dirty.clear();
    return out;
  }

  /**
   * Cluster: the device's stay here is over (it left): its count, to save for good; from now on
   * the device is shown as counted so far, and its next message here begins a new stay.
   */
  endStay(deviceId: string): SequenceStay | undefined {
    const state = this.#devices.get(deviceId);
    if (!state || state.shown) return undefined;
    const stay = stayOf(state);
    this.put(deviceId, viewOf(state));
    return stay;
  }
}

/**
 * The statistics of a device whose count `after` (first sequence number `afterFirstSeq`) went on
 * from `before` (what was counted before, e.g. on another node): the step from `before.lastSeq`
 * to `afterFirstSeq` is a next, a gap or (a resend of what was counted before) a duplicate.
 */
export function continued(before: SequenceStats, after: SequenceStats, afterFirstSeq: number): SequenceStats {
  // Stats saved before `rejected` existed have none.
  const b: SequenceStats = { ...before, rejected: (before.rejected as number | undefined) ?? 0 };
  const merged: SequenceStats = {
    lastSeq: after.lastSeq,
    received: b.received + after.received,
    duplicates: b.duplicates + after.duplicates,
    gaps: b.gaps + after.gaps,
    missing: b.missing + after.missing,
    late: b.late + after.late,
    rejected: b.rejected + ((after.rejected as number | undefined) ?? 0),
    resets: b.resets + after.resets,
    lastAt: after.lastAt > b.lastAt ? after.lastAt : b.lastAt,
  };
  const step = afterFirstSeq - b.lastSeq;
  if (step > 1) {
    merged.gaps++;
    merged.missing += step - 1;
  } else if (step <= 0 && -step < WINDOW) {
    // The first message after was one counted before (a resend whose PUBACK was lost with the old connection).
    merged.duplicates++;
    merged.lastSeq = Math.max(b.lastSeq, after.lastSeq);
  } else if (step <= 0) {
    merged.resets++;
  }
  return merged;
}

/** The stats as shown: this tracker's own count, continuing what other nodes counted before. */
function viewOf(state: DeviceState): SequenceStats {
  const own = copyOf(state);
  return state.prior ? continued(state.prior, own, state.firstSeq) : own;
}

function stayOf(state: DeviceState): SequenceStay {
  return { stats: copyOf(state), firstSeq: state.firstSeq, since: state.since, stay: state.stay };
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

/** Where sequence number n's bit is in the ring (n is a non-negative integer up to 2^53). */
function slot(n: number): number {
  return n % WINDOW;
}

function clearBit(bits: Uint8Array, i: number): void {
  bits[i >> 3]! &= ~(1 << (i & 7));
}

/**
 * The window moves forward by `jump` from `lastSeq`: the numbers it now takes in (lastSeq + 1 …
 * lastSeq + jump) have not been received, so their slots, which held numbers that fell out of the
 * window, are cleared. One bit per message in order (it was a shift of the whole window).
 */
function forget(bits: Uint8Array, lastSeq: number, jump: number): void {
  if (jump >= WINDOW) {
    bits.fill(0);
    return;
  }
  for (let k = 1; k <= jump; k++) clearBit(bits, slot(lastSeq + k));
}
