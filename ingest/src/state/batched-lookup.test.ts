/** BatchedLookup: keys asked together are loaded together; keys asked during a load wait for it and go in the next one. */
import { expect, test, vi } from 'vitest';
import { BatchedLookup } from './batched-lookup.ts';

test('lookups within the window are one load; those asked while it runs are the next one, as soon as it returns', async () => {
  const loads: string[][] = [];
  let release: (() => void) | undefined;
  const lookup = new BatchedLookup<string, number>({
    windowMs: 5,
    loadMany: async (keys) => {
      loads.push([...keys]);
      if (loads.length === 1) await new Promise<void>((r) => (release = r));
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    },
  });
  const first = [lookup.get('a'), lookup.get('bb'), lookup.get('a')];
  await expect.poll(() => loads.length, { timeout: 30_000 }).toBe(1);
  // Asked while the first load is in flight: no load of their own yet, however long it takes.
  const second = [lookup.get('ccc'), lookup.get('missing')];
  await new Promise((r) => setTimeout(r, 50));
  expect(loads).toEqual([['a', 'bb']]);
  release!();
  expect(await Promise.all(first)).toEqual([1, 2, 1]);
  expect(await Promise.all(second)).toEqual([3, undefined]);
  expect(loads).toEqual([['a', 'bb'], ['ccc', 'missing']]);
});

test('a store that answers at once still gets one load per window, not one per round trip', async () => {
  // A reconnect storm against a fast PostgreSQL: keys keep arriving while each load is in flight
  // for a millisecond. Going again the moment a load returns made that one query per key.
  const loads: number[] = [];
  const lookup = new BatchedLookup<number, number>({
    windowMs: 40,
    loadMany: async (keys) => {
      loads.push(keys.length);
      await new Promise((r) => setTimeout(r, 1));
      return new Map(keys.map((k) => [k, k]));
    },
  });
  const asked: Array<Promise<number | undefined>> = [];
  const started = performance.now();
  for (let k = 0; performance.now() - started < 200; k++) {
    asked.push(lookup.get(k));
    await new Promise((r) => setTimeout(r, 2));
  }
  expect((await Promise.all(asked)).every((v, i) => v === i)).toBe(true);
  // 200 ms of keys in 40 ms windows: about 5 loads (timers may run late, never early).
  expect(loads.length).toBeLessThanOrEqual(8);
  expect(loads.reduce((a, b) => a + b, 0)).toBe(asked.length);
});

test('under a steady stream of keys the window widens (fewer, larger loads); a lone key later waits the short window again', async () => {
  vi.useFakeTimers();
  try {
    const loads: Array<{ at: number; keys: number }> = [];
    const lookup = new BatchedLookup<number, number>({
      windowMs: 10,
      maxWindowMs: 80,
      loadMany: async (keys) => {
        loads.push({ at: Date.now(), keys: keys.length });
        return new Map(keys.map((k) => [k, k]));
      },
    });
    const start = Date.now();
    const asked: Array<Promise<number | undefined>> = [];
    // A reconnect storm: a key every 2 ms for 800 ms.
    for (let k = 0; k < 400; k++) {
      asked.push(lookup.get(k));
      await vi.advanceTimersByTimeAsync(2);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect((await Promise.all(asked)).every((v, i) => v === i)).toBe(true);
    // Windows of 10, 20, 40, then 80 ms: about a dozen loads, not 80 of 10 ms.
    expect(loads.length).toBeLessThanOrEqual(14);
    expect(loads.at(-2)!.keys).toBeGreaterThanOrEqual(35);
    // Quiet again: one lone key, then another — the second waits 10 ms, not 80.
    const first = lookup.get(1000);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBe(1000);
    const before = Date.now();
    const lone = lookup.get(1001);
    await vi.advanceTimersByTimeAsync(10);
    expect(await lone).toBe(1001);
    expect(loads.at(-1)!.at - before).toBeLessThanOrEqual(10);
    expect(start).toBeLessThan(before);
  } finally {
    vi.useRealTimers();
  }
});

test('a failed load rejects its own lookups only; the next ones load again', async () => {
  let n = 0;
  const lookup = new BatchedLookup<string, number>({
    windowMs: 1,
    loadMany: (keys) => (++n === 1 ? Promise.reject(new Error('store down')) : Promise.resolve(new Map(keys.map((k) => [k, 1])))),
  });
  await expect(lookup.get('a')).rejects.toThrow('store down');
  expect(await lookup.get('a')).toBe(1);
});

test('a full batch loads at once, even while another load runs', async () => {
  const loads: number[] = [];
  const lookup = new BatchedLookup<number, number>({
    windowMs: 60_000,
    maxBatch: 3,
    loadMany: async (keys) => {
      loads.push(keys.length);
      return new Map(keys.map((k) => [k, k]));
    },
  });
  expect(await Promise.all([1, 2, 3].map((k) => lookup.get(k)))).toEqual([1, 2, 3]);
  expect(loads).toEqual([3]);
});

test('a load that never returns holds the next keys back only a while', async () => {
  let n = 0;
  const lookup = new BatchedLookup<string, number>({
    windowMs: 1,
    loadMany: (keys) => (++n === 1 ? new Promise<never>(() => {}) : Promise.resolve(new Map(keys.map((k) => [k, 7])))),
  });
  lookup.get('hangs').catch(() => undefined);
  await expect.poll(() => n, { timeout: 30_000 }).toBe(1);
  expect(await lookup.get('next')).toBe(7);
});
