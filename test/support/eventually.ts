/** Test support: the polling waits of the end-to-end tests, on vitest's `vi.waitFor`. */
import { isDeepStrictEqual } from 'node:util';
import { vi } from 'vitest';

/**
 * How long a wait gives up after, unless told otherwise: generous, because the machine that runs
 * the suite is shared and loaded (a wait that passes is as fast as what it waits for).
 */
export const EVENTUALLY_TIMEOUT_MS = 30_000;

/**
 * Calls `fn` every 50 ms until it returns a truthy value (and returns that value); after
 * `timeoutMs` fails naming `what` and the last error `fn` threw.
 */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = EVENTUALLY_TIMEOUT_MS): Promise<T> {
  try {
    return await vi.waitFor(
      async () => {
        const v = await fn();
        if (!v) throw new Error('not yet');
        return v;
      },
      { timeout: timeoutMs, interval: 50 },
    );
  } catch (err) {
    const last = err instanceof Error && err.message !== 'not yet' ? `: ${err.message}` : '';
    throw new Error(`timed out waiting for ${what}${last}`, { cause: err });
  }
}

/**
 * Calls `fn` every 50 ms until what it returns deep-equals `want` — the whole thing the test
 * asserts, every row and every field, not a part of it (InfluxDB may show a point's fields, or
 * one report's rows, before the others). Fails after `timeoutMs` with the last value beside `want`.
 */
export async function eventuallyEqual<T>(fn: () => Promise<T> | T, want: T, what: string, timeoutMs = EVENTUALLY_TIMEOUT_MS): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(async () => {
      last = await fn();
      return isDeepStrictEqual(last, want) ? { value: last } : undefined;
    }, what, timeoutMs).then((v) => v.value);
  } catch (err) {
    throw new Error(`timed out waiting for ${what}:\n  last ${JSON.stringify(last)}\n  want ${JSON.stringify(want)}`, { cause: err });
  }
}
