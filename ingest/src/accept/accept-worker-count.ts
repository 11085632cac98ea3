/**
 * How many accept worker threads the platform runs (`acceptWorkers`): a number as configured,
 * or `auto` — one core fewer than the process may use, at most four, and none on one core.
 *
 * Why: the main thread keeps the MQTT broker, the spool appends and PUBACKs, and the rules,
 * which is more than half of a reading's cost; the workers take decoding, validation and line
 * protocol. One core stays for the main thread, and past about four workers the main thread
 * cannot feed more. On one core a worker only adds the hand-off. On two cores `auto` is 1: the
 * main thread and one worker — shared with InfluxDB when it runs on the same machine.
 */
import { availableParallelism } from 'node:os';

export const MAX_AUTO_ACCEPT_WORKERS = 4;

export function acceptWorkerCount(setting: number | 'auto', cores: number = availableParallelism()): number {
  if (setting !== 'auto') return setting;
  return Math.max(0, Math.min(cores - 1, MAX_AUTO_ACCEPT_WORKERS));
}
