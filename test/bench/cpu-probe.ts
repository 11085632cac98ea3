/**
 * Bench support: how fast this machine's CPU is right now. This 2-core VM's speed changes over
 * the day (the same fixed work takes from about 350 to about 650 ms of CPU: other guests on the
 * host), and latency figures follow it; each section prints the probe so runs can be compared.
 * The work: SHA-256 of 200,000 short strings on the bench's own thread, its CPU time in ms.
 */
import { createHash } from 'node:crypto';

export function cpuProbeMs(): number {
  const before = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += createHash('sha256').update(`probe-${i}`).digest()[0]!;
  const used = process.cpuUsage(before);
  // `sink` keeps the loop from being optimised away.
  return Math.round((used.user + used.system) / 1000) + (sink < 0 ? 1 : 0);
}
