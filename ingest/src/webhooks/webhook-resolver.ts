/**
 * How webhook receivers' names are resolved, and how many at a time. getaddrinfo (dns.lookup)
 * runs on libuv's pool of four threads, which the spool's file writes and fsyncs share: a receiver
 * name under a zone whose name server drops queries holds a thread 10–30 s, past any fetch
 * timeout. Unbounded, a few such lookups (one per delivery attempt, one per subscription created
 * or tested) would stall every PUBACK. So at most WEBHOOK_LOOKUPS_AT_ONCE lookups run at once;
 * the rest wait their turn, in order.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';

/** How names are resolved: the system resolver (getaddrinfo), or a stand-in in tests. */
export type Resolver = (hostname: string, options: { all: true; family?: number }, callback: (err: NodeJS.ErrnoException | null, answers: LookupAddress[]) => void) => void;

export const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/** Two of the pool's four threads at most: the spool keeps the other two. */
export const WEBHOOK_LOOKUPS_AT_ONCE = 2;

/** `resolve` with at most `max` lookups under way; later ones queue. A resolver that throws answers with the error. */
export function limitResolver(resolve: Resolver, max: number): Resolver {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = (): void => {
    if (running >= max) return;
    const start = queue.shift();
    if (!start) return;
    running++;
    start();
  };
  return (hostname, options, callback) => {
    queue.push(() => {
      let answered = false;
      const answer = (err: NodeJS.ErrnoException | null, answers: LookupAddress[]): void => {
        if (answered) return;
        answered = true;
        running--;
        next();
        callback(err, answers);
      };
      try {
        resolve(hostname, options, answer);
      } catch (err) {
        answer(err instanceof Error ? err : new Error(String(err)), []);
      }
    });
    next();
  };
}
