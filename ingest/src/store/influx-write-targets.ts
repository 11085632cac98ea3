/**
 * Several write URLs of one time-series cluster — the ts-sql nodes of openGemini, the data
 * nodes of InfluxDB Enterprise, or InfluxDB 3 Enterprise writers behind no balancer — any of
 * which accepts a write for the whole cluster (docs/capacity.md, "Time series"). Batches go
 * round-robin; a target that fails (timeout, connection refused, 5xx) is skipped for
 * `cooldownMs` and the same batch is tried on the next one, so one endpoint down costs no
 * stall. Only when every target failed does the write fail (and the batch waits in the spool).
 * A refusal of the points themselves (4xx) is the same on every node: it is not retried
 * elsewhere. Each batch is written to exactly one target; redelivery after a crash rewrites the
 * same points (series + device timestamp), which the cluster stores once.
 */
import type { Logger } from 'pino';
import type { InfluxHttp} from './influx-http.ts';
import { InfluxWriteError } from './influx-http.ts';

/** What the spool drain needs of its storage. */
export interface InfluxWriter {
  write(lines: string | Uint8Array): Promise<void>;
  ensureDatabase(): Promise<void>;
}

export interface InfluxWriteTargetsOptions {
  /** How long a failed target is skipped, ms. Default 5000. */
  readonly cooldownMs?: number;
}

export class InfluxWriteTargets implements InfluxWriter {
  readonly #targets: ReadonlyArray<{ readonly http: InfluxHttp; downUntil: number }>;
  readonly #cooldownMs: number;
  readonly #log: Logger;
  #next = 0;

  constructor(targets: readonly InfluxHttp[], logger: Logger, options: InfluxWriteTargetsOptions = {}) {
    if (targets.length === 0) throw new Error('InfluxWriteTargets: at least one target');
    this.#targets = targets.map((http) => ({ http, downUntil: 0 }));
    this.#cooldownMs = options.cooldownMs ?? 5000;
    this.#log = logger.child({ component: 'influx-targets' });
  }

  get urls(): string[] {
    return this.#targets.map((t) => t.http.connection.url);
  }

  async write(lines: string | Uint8Array): Promise<void> {
    const n = this.#targets.length;
    const start = this.#next;
    this.#next = (this.#next + 1) % n;
    const now = Date.now();
    // Healthy targets first, in round-robin order; cooling ones last (better than no write at all).
    const order = [...Array(n).keys()].map((i) => (start + i) % n);
    const tries = [...order.filter((i) => this.#targets[i]!.downUntil <= now), ...order.filter((i) => this.#targets[i]!.downUntil > now)];
    let last: unknown;
    for (const i of tries) {
      const target = this.#targets[i]!;
      try {
        await target.http.write(lines);
        if (target.downUntil > 0) this.#log.info({ url: target.http.connection.url }, 'InfluxDB write target answers again');
        target.downUntil = 0;
        return;
      } catch (err) {
        if (err instanceof InfluxWriteError && (err.permanent || err.status === 404)) throw err;
        if (target.downUntil === 0) this.#log.warn({ url: target.http.connection.url, err }, 'InfluxDB write target failed; trying the next');
        target.downUntil = Date.now() + this.#cooldownMs;
        last = err;
      }
    }
    throw last;
  }

  /** Creates the database through each target that answers (one is enough for a cluster; separate servers each need it). */
  async ensureDatabase(): Promise<void> {
    const results = await Promise.allSettled(this.#targets.map((t) => t.http.ensureDatabase()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && results.every((r) => r.status === 'rejected')) throw failed.reason;
  }
}
