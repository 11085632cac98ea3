/**
 * The simulated source of the agent (`{kind: 'simulated', intervalSec}`): one reading of the
 * station's domain every `intervalSec`, from the same generator as the demo fleet. Timestamps
 * strictly increase, so each reading is its own point.
 */
import type { Domain } from '@shanshui/models/edge';
import { createSimulationState, simulateValues } from './simulated/simulate-reading.ts';
import type { SourceReading } from './source-reading.ts';

export interface SimulatedSourceOptions {
  /** Seconds between readings. Required. */
  readonly intervalSec: number;
  /** Domain whose metrics are generated. Required. */
  readonly domain: Domain;
  /** Source name on the readings. Default `simulated`. */
  readonly name?: string;
  /** Seeds the generator. Default 0. */
  readonly stationIndex?: number;
  readonly onReadings: (readings: SourceReading[]) => void;
}

export class SimulatedSource {
  readonly #o: SimulatedSourceOptions;
  readonly #state;
  #timer: NodeJS.Timeout | undefined;
  #lastTs = 0;
  #readings = 0;
  #errors = 0;

  constructor(options: SimulatedSourceOptions) {
    this.#o = options;
    this.#state = createSimulationState(options.stationIndex ?? 0);
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), Math.max(1, this.#o.intervalSec * 1000));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  stats(): { readings: number; errors: number } {
    return { readings: this.#readings, errors: this.#errors };
  }

  #tick(): void {
    const ts = Math.max(Date.now(), this.#lastTs + 1);
    this.#lastTs = ts;
    const values: SourceReading['values'] = {};
    for (const [metric, value] of Object.entries(simulateValues(this.#o.domain, this.#state, ts))) values[metric] = { value, quality: 'ok' };
    try {
      this.#o.onReadings([{ source: this.#o.name ?? 'simulated', ts: new Date(ts), values, kind: 'simulated' }]);
      this.#readings++;
    } catch {
      this.#errors++; // the sink logs it; a simulator has no one to resend
    }
  }
}
