/** The scanning loop shared by the byte-stream protocols, with a toy codec: `**` + one length digit + payload. */
import { test, expect } from 'vitest';
import { scanFrames } from './frame-scan.ts';
import type { FrameAttempt, FrameScanCodec } from './frame-scan.ts';

type Event = { frame: string } | { garbage: number };
const STAR = 0x2a;

function codec(withOther = false): FrameScanCodec<Event> & { consumedCalls: number } {
  const c = {
    marker: STAR,
    consumedCalls: 0,
    attempt(buf: Buffer): FrameAttempt<Event> {
      if (buf.length < 3) return { type: 'need' };
      const n = buf[2]! - 0x30;
      if (n < 0 || n > 9) return { type: 'event', event: { frame: 'bad' }, consumed: 2 };
      if (buf.length < 3 + n) return { type: 'need' };
      return { type: 'event', event: { frame: buf.toString('latin1', 3, 3 + n) }, consumed: 3 + n };
    },
    garbage: (bytes: number): Event => ({ garbage: bytes }),
    consumed(): void {
      c.consumedCalls++;
    },
    // A second kind of frame: `<` … `>`; a `<` with no `>` within 8 bytes is garbage.
    ...(withOther
      ? {
          findOther: (buf: Buffer): number => buf.indexOf('<'),
          attemptOther(buf: Buffer): FrameAttempt<Event> {
            const end = buf.indexOf('>');
            if (end < 0) return buf.length > 8 ? { type: 'garbage' } : { type: 'need' };
            return { type: 'event', event: { frame: buf.toString('latin1', 1, end) }, consumed: end + 1 };
          },
        }
      : {}),
  };
  return c;
}
const scan = (text: string, withOther = false): { events: Event[]; rest: string } => {
  const r = scanFrames(Buffer.from(text, 'latin1'), codec(withOther));
  return { events: r.events, rest: r.rest.toString('latin1') };
};

test('frames in order; garbage before a frame is one event, reported before it', () => {
  expect(scan('**2ab**1c')).toEqual({ events: [{ frame: 'ab' }, { frame: 'c' }], rest: '' });
  expect(scan('xyz**2abq')).toEqual({ events: [{ garbage: 3 }, { frame: 'ab' }, { garbage: 1 }], rest: '' });
});

test('an incomplete frame is kept whole for the next chunk, after its garbage is reported', () => {
  expect(scan('zz**5ab')).toEqual({ events: [{ garbage: 2 }], rest: '**5ab' });
  expect(scan('**')).toEqual({ events: [], rest: '**' });
});

test('in a run of markers the frame starts at the last two; a lone trailing marker is kept', () => {
  expect(scan('****1a')).toEqual({ events: [{ garbage: 2 }, { frame: 'a' }], rest: '' });
  expect(scan('abc*')).toEqual({ events: [{ garbage: 3 }], rest: '*' });
});

test('a second kind of frame start is taken when it comes first; a false one is one garbage byte', () => {
  expect(scan('<hi>**1a', true)).toEqual({ events: [{ frame: 'hi' }, { frame: 'a' }], rest: '' });
  expect(scan('q<0123456789**1a', true)).toEqual({ events: [{ garbage: 12 }, { frame: 'a' }], rest: '' });
  expect(scan('**1a<x>', true)).toEqual({ events: [{ frame: 'a' }, { frame: 'x' }], rest: '' });
});

test('the codec hears of every consumption, so offsets it remembers are dropped', () => {
  const c = codec();
  scanFrames(Buffer.from('x**1a'), c);
  expect(c.consumedCalls).toBe(2);
});
