/**
 * The scanning loop of the byte-stream protocols (HJ 212 `##`, SL 651 `7E7E` and its ASCII
 * `01`): finds the next frame start in the pending bytes, counts what lies before it as garbage
 * (one garbage event per run, before the next frame or error), lets the protocol's codec try a
 * frame there, and consumes what the codec says — or stops when the codec needs more bytes.
 * A start marker is two equal bytes; in a run of them the frame starts at the last two, and a
 * lone marker byte at the end is kept as the possible first half of the next one. No I/O.
 */

/** What a codec makes of the bytes at a frame start. */
export type FrameAttempt<E> =
  /** Not enough bytes yet: keep them all. */
  | { readonly type: 'need' }
  /** A frame or an error event, `consumed` bytes long. */
  | { readonly type: 'event'; readonly event: E; readonly consumed: number }
  /** Not a frame start after all: its first byte is garbage. */
  | { readonly type: 'garbage' };

export interface FrameScanCodec<E> {
  /** The byte that, twice, starts a frame (`#` for HJ 212, 0x7E for SL 651). */
  readonly marker: number;
  /** Tries a frame at the start of `buf`, which starts with the marker twice. */
  attempt(buf: Buffer): FrameAttempt<E>;
  /** A second kind of frame start, looked for when the marker does not start the bytes: its offset or -1. Default none. */
  findOther?(buf: Buffer): number;
  /** Tries a frame of the second kind at the start of `buf`. */
  attemptOther?(buf: Buffer): FrameAttempt<E>;
  /** The event for `bytes` bytes outside any frame. */
  garbage(bytes: number): E;
  /** Bytes were consumed from the front: what the codec remembers by offset is void. */
  consumed(): void;
}

/** Scans `buf` for frames; returns the events in order and the bytes to keep for the next chunk. */
export function scanFrames<E>(buf: Buffer, codec: FrameScanCodec<E>): { events: E[]; rest: Buffer } {
  const header = Buffer.from([codec.marker, codec.marker]);
  const events: E[] = [];
  let garbage = 0;
  const flushGarbage = (): void => {
    if (garbage > 0) events.push(codec.garbage(garbage));
    garbage = 0;
  };
  const drop = (bytes: number, asGarbage: boolean): void => {
    if (bytes === 0) return;
    if (asGarbage) garbage += bytes;
    buf = buf.subarray(bytes);
    codec.consumed();
  };
  /** Applies an attempt at the front; false when the scan must wait for more bytes. */
  const apply = (attempt: FrameAttempt<E>): boolean => {
    if (attempt.type === 'need') return false;
    if (attempt.type === 'garbage') {
      garbage += 1;
      buf = buf.subarray(1);
      return true;
    }
    flushGarbage();
    events.push(attempt.event);
    drop(attempt.consumed, false);
    return true;
  };

  while (buf.length > 0) {
    let start = buf.indexOf(header);
    while (start >= 0 && buf[start + 2] === codec.marker) start++;
    const other = start === 0 || !codec.findOther ? -1 : codec.findOther(buf);
    if (other >= 0 && (start < 0 || other < start) && codec.attemptOther) {
      drop(other, true);
      if (!apply(codec.attemptOther(buf))) break;
      continue;
    }
    if (start < 0) {
      const keep = buf[buf.length - 1] === codec.marker ? 1 : 0;
      garbage += buf.length - keep;
      buf = buf.subarray(buf.length - keep);
      codec.consumed();
      break;
    }
    drop(start, true);
    if (!apply(codec.attempt(buf))) break;
  }
  flushGarbage();
  return { events, rest: buf };
}
