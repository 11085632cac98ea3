/**
 * Bench support, a preload for the platform process (`node test/bench/webhook-latency.ts
 * --platform-node-args="--import=./test/bench/webhook-turn-probe.ts"`, with
 * WEBHOOK_TURN_PROBE_OUT=file): for each alert publish of the webhook bench, the turns of the
 * platform's event loop (check phases) and the milliseconds from reading the alert device's
 * PUBLISH off its socket to writing the webhook request — one `turns ms` line each. A count
 * robust to a shared machine, unlike the latency itself. While armed, a setImmediate chain
 * counts the turns; a loop that idles meanwhile (nothing else to do) spins that chain, so
 * counts in the hundreds are idle spins, not work — read the small ones. Bench only: it
 * wraps net.Socket's read and write.
 */
import net from 'node:net';
import { appendFileSync } from 'node:fs';

const OUT = process.env['WEBHOOK_TURN_PROBE_OUT'] ?? 'webhook-turn-probe.log';
const MARK = Buffer.from('bench-alert-01/up/readings');
let armed = false;
let turns = 0;
let t0 = 0;

const tick = (): void => {
  if (!armed) return;
  turns++;
  setImmediate(tick);
};

const read = net.Socket.prototype.read;
net.Socket.prototype.read = function (this: net.Socket, n?: number) {
  const b: unknown = read.call(this, n);
  if (!armed && Buffer.isBuffer(b) && b.includes(MARK)) {
    armed = true;
    turns = 0;
    t0 = performance.now();
    setImmediate(tick);
  }
  return b;
};

const write = net.Socket.prototype.write as (this: net.Socket, ...args: unknown[]) => boolean;
net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
  const chunk = args[0];
  if (armed && typeof chunk === 'string' && chunk.startsWith('POST /hook')) {
    armed = false;
    appendFileSync(OUT, `${turns} ${(performance.now() - t0).toFixed(2)}\n`);
  }
  return write.apply(this, args);
} as typeof net.Socket.prototype.write;
