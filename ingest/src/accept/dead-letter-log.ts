/**
 * Dead letters in the log: each at warn with the device and the exact reason, so a technician
 * watching the log sees a misconfigured device at once — rate-limited, so a device sending
 * garbage many times a second cannot flood the log (every dead letter is still kept and counted:
 * `GET /api/v1/dead-letters`, `shanshui_dead_letters_total`).
 */
import type { Logger } from 'pino';
import { payloadText } from '@shanshui/models';

export interface DeadLetterLogOptions {
  /** Most dead letters logged per window; the rest are counted and summed up once. Default 10. */
  readonly maxPerWindow?: number;
  /** Window length, ms. Default 60000. */
  readonly windowMs?: number;
}

export interface LoggedDeadLetter {
  readonly deviceId: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: Uint8Array;
}

export class DeadLetterLog {
  readonly #logger: Logger;
  readonly #max: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #logged = 0;
  #suppressed = 0;

  constructor(logger: Logger, options: DeadLetterLogOptions = {}) {
    this.#logger = logger;
    this.#max = options.maxPerWindow ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
  }

  note(d: LoggedDeadLetter, nowMs = Date.now()): void {
    if (nowMs - this.#windowStart >= this.#windowMs) {
      if (this.#suppressed > 0) {
        this.#logger.warn({ suppressed: this.#suppressed }, `${this.#suppressed} more dead letters not logged in the last ${Math.round(this.#windowMs / 1000)} s (all kept: GET /api/v1/dead-letters)`);
      }
      this.#windowStart = nowMs;
      this.#logged = 0;
      this.#suppressed = 0;
    }
    if (this.#logged >= this.#max) {
      this.#suppressed++;
      return;
    }
    this.#logged++;
    const text = payloadText(d.payload);
    this.#logger.warn(
      { deviceId: d.deviceId, code: d.code, payload: text !== undefined ? text.slice(0, 200) : `(${d.payload.length} bytes, not text)` },
      `dead letter from ${d.deviceId}: ${d.reason}`,
    );
  }
}
