/**
 * How many accept worker threads the platform runs (`acceptWorkers`): a number as configured,
 * or `auto` — on three or more usable cores, one fewer than the cores, at most four; on one or
 * two cores none.
 *
 * Why: the main thread keeps the MQTT broker, the spool appends and PUBACKs, and the rules,
 * which is more than half of a reading's cost; the workers take decoding, validation and line
 * protocol. One core stays for the main thread, and past about four workers the main thread
 * cannot feed more. On one core a worker only adds the hand-off. On two cores the managed
 * influxd (and, in the benches, the load generator) needs the second core as much as a worker
 * would: a worker there moves work between the cores rather than adding a core, and the bench
 * (docs/benchmarks.md, #16 workers) shows no gain on this 2-core machine, so `auto` stays inline
 * there — set a number to run workers anyway.
 */
import { availableParallelism } from 'node:os';

export const MAX_AUTO_ACCEPT_WORKERS = 4;

export function acceptWorkerCount(setting: number | 'auto', cores: number = availableParallelism()): number {
  if (setting !== 'auto') return setting;
  if (cores <= 2) return 0;
  return Math.min(cores - 1, MAX_AUTO_ACCEPT_WORKERS);
}
