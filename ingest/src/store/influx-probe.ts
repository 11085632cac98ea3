/**
 * Whether InfluxDB answers now — asked, not inferred from the last write: after influxd died,
 * a platform with no readings arriving would otherwise report "up" until the next write failed.
 * `check()` pings at once (the health endpoints call it); between calls a timer keeps `up` fresh
 * for /api/v1/status.
 */
import type { InfluxHttp } from './influx-http.ts';

export class InfluxProbe {
  readonly #influx: Pick<InfluxHttp, 'ping'>;
  readonly #timeoutMs: number;
  #up = false;
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<boolean> | undefined;

  /** `intervalMs`: background ping period (default 5000); `timeoutMs`: one ping's budget (default 1000). */
  constructor(influx: Pick<InfluxHttp, 'ping'>, options: { intervalMs?: number; timeoutMs?: number } = {}) {
    this.#influx = influx;
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#timer = setInterval(() => {
      this.check().catch(() => undefined);
    }, options.intervalMs ?? 5000);
    this.#timer.unref();
  }

  /** The answer of the last ping. */
  get up(): boolean {
    return this.#up;
  }

  /** Pings now (concurrent callers share one ping). */
  check(): Promise<boolean> {
    this.#inflight ??= this.#influx.ping(this.#timeoutMs).then((up) => {
      this.#up = up;
      this.#inflight = undefined;
      return up;
    });
    return this.#inflight;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
