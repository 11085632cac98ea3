/** Test support: the one polling wait of the end-to-end tests, on vitest's `vi.waitFor`. */
import { vi } from 'vitest';

/**
 * Calls `fn` every 50 ms until it returns a truthy value (and returns that value); after
 * `timeoutMs` fails naming `what` and the last error `fn` threw.
 */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
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
