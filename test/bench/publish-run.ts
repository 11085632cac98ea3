/**
 * Bench support: the bookkeeping of one publish run, shared by both load generators
 * (load-generator.ts on mqtt.js, light-load-generator.ts on raw sockets) — the deadline, the
 * pacing (`ratePerSec`: a device over it waits for the next 2 ms tick), PUBACK latencies and
 * errors, progress once a second, and the result once every device has finished.
 */
import type { GeneratorCommand, PublishResult } from './load-generator-protocol.ts';

export type PublishCommand = Extract<GeneratorCommand, { cmd: 'publish' }>;

/** Epoch ms, fractional. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export class PublishRun {
  readonly firstPublishAt = nowMs();
  readonly #c: PublishCommand;
  readonly #deadline: number;
  /** PUBACK latencies, ms (float32 is ample: µs resolution up to minutes). */
  readonly #ackMs: Float32Array;
  #acks = 0;
  #messages = 0;
  #readingsAcked = 0;
  #readingsSent = 0;
  #errors = 0;
  #firstError: string | undefined;
  #capped = false;
  #lastAckAt = this.firstPublishAt;
  #open: number;
  readonly #waiting = new Set<() => void>();
  readonly #paceTimer: NodeJS.Timeout | undefined;
  readonly #progressTimer: NodeJS.Timeout;
  readonly #done: (r: PublishResult) => void;

  /** `progress` is sent once a second with the readings acknowledged so far; `done` once `devices` have each called `finished`. */
  constructor(c: PublishCommand, devices: number, progress: (readingsAcked: number) => void, done: (r: PublishResult) => void) {
    this.#c = c;
    this.#deadline = this.firstPublishAt + c.maxSeconds * 1000;
    this.#ackMs = new Float32Array(Math.min(devices * c.messagesPerDevice, 50_000_000));
    this.#open = devices;
    this.#done = done;
    this.#progressTimer = setInterval(() => progress(this.#readingsAcked), 1000);
    this.#paceTimer =
      (c.ratePerSec ?? 0) > 0
        ? setInterval(() => {
            const wake = [...this.#waiting];
            this.#waiting.clear();
            for (const pump of wake) pump();
          }, 2)
        : undefined;
    if (devices === 0) this.#finish();
  }

  /**
   * Whether a device may send one more message at time `t`: 'stop' past the deadline (the run
   * is capped), 'wait' over the paced rate (`pump` is called again at the next tick), else 'go'
   * (the message is counted as sent).
   */
  admit(t: number, pump: () => void): 'go' | 'wait' | 'stop' {
    if (t > this.#deadline) {
      this.#capped = true;
      return 'stop';
    }
    const rate = this.#c.ratePerSec ?? 0;
    if (rate > 0 && this.#readingsSent + this.#c.readingsPerMessage > (rate * (t - this.firstPublishAt)) / 1000) {
      this.#waiting.add(pump);
      return 'wait';
    }
    this.#readingsSent += this.#c.readingsPerMessage;
    return 'go';
  }

  /** A message acknowledged, `sentAt` epoch ms. */
  acked(sentAt: number): void {
    this.#lastAckAt = nowMs();
    if (this.#acks < this.#ackMs.length) this.#ackMs[this.#acks] = this.#lastAckAt - sentAt;
    this.#acks++;
    this.#messages++;
    this.#readingsAcked += this.#c.readingsPerMessage;
  }

  failed(message: string): void {
    this.#errors++;
    this.#firstError ??= message;
  }

  /** A device has stopped for good (each calls this once); `pump` no longer waits for a tick. */
  finished(pump?: () => void): void {
    if (pump) this.#waiting.delete(pump);
    if (--this.#open === 0) this.#finish();
  }

  #finish(): void {
    clearInterval(this.#progressTimer);
    clearInterval(this.#paceTimer);
    const sorted = this.#ackMs.subarray(0, Math.min(this.#acks, this.#ackMs.length)).sort();
    const n = sorted.length;
    const pct = (p: number): number => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor((p / 100) * n))]!);
    this.#done({
      messages: this.#messages,
      readings: this.#readingsAcked,
      firstPublishAt: this.firstPublishAt,
      lastAckAt: this.#lastAckAt,
      ackMsP50: pct(50),
      ackMsP99: pct(99),
      errors: this.#errors,
      capped: this.#capped,
      ...(this.#firstError ? { firstError: this.#firstError } : {}),
    });
  }
}
