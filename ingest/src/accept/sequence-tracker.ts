/**
 * Per-device message sequence accounting: every device numbers its messages (`seq`); the
 * platform counts gaps (messages that never came), duplicates (resends) and late arrivals,
 * so a technician can see a station that is losing data. A sequence that jumps far back is
 * taken as a device restart (counter reset), not as thousands of duplicates.
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
  resets: number;
  lastAt: string;
}

export type SequenceVerdict = 'first' | 'next' | 'gap' | 'duplicate' | 'late' | 'reset';

/** How far back a sequence number is still matched against what was seen. */
const WINDOW = 1024;

interface DeviceState {
  stats: SequenceStats;
  /** Bit i set: lastSeq - i was received. */
  seen: Uint8Array;
}

export class SequenceTracker {
  readonly #devices = new Map<string, DeviceState>();
  readonly #dirty = new Set<string>();

  constructor(initial?: ReadonlyMap<string, SequenceStats>) {
    for (const [id, stats] of initial ?? []) {
      const seen = new Uint8Array(WINDOW / 8);
      seen[0] = 1; // only lastSeq is known to have been received
      this.#devices.set(id, { stats: { ...stats }, seen });
    }
  }

  observe(deviceId: string, seq: number, now = new Date()): SequenceVerdict {
    const state = this.#devices.get(deviceId);
    this.#dirty.add(deviceId);
    if (!state) {
      const seen = new Uint8Array(WINDOW / 8);
      seen[0] = 1;
      this.#devices.set(deviceId, {
        stats: { lastSeq: seq, received: 1, duplicates: 0, gaps: 0, missing: 0, late: 0, resets: 0, lastAt: now.toISOString() },
        seen,
      });
      return 'first';
    }
    const s = state.stats;
    s.received++;
    s.lastAt = now.toISOString();
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
    const s = this.#devices.get(deviceId)?.stats;
    return s ? { ...s } : undefined;
  }

  all(): Map<string, SequenceStats> {
    return new Map([...this.#devices].map(([id, st]) => [id, { ...st.stats }]));
  }

  /** Stats changed since the last call, for persisting. */
  takeDirty(): Map<string, SequenceStats> {
    const out = new Map<string, SequenceStats>();
    for (const id of this.#dirty) out.set(id, { ...this.#devices.get(id)!.stats });
    this.#dirty.clear();
    return out;
  }

  forget(deviceId: string): void {
    this.#devices.delete(deviceId);
  }
}

function getBit(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3]! & (1 << (i & 7))) !== 0;
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3]! |= 1 << (i & 7);
}

/** Shifts the window by n (towards older). */
function shift(bits: Uint8Array, n: number): void {
  if (n >= bits.length * 8) {
    bits.fill(0);
    return;
  }
  const total = bits.length * 8;
  for (let i = total - 1; i >= 0; i--) {
    const from = i - n;
    const v = from >= 0 && getBit(bits, from);
    if (v) setBit(bits, i);
    else bits[i >> 3]! &= ~(1 << (i & 7));
  }
}
