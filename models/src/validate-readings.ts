/**
 * Semantic checks of a parsed readings message against the station's domain: unknown metrics
 * and timestamps far in the future reject a reading (it goes to the dead-letter store with the
 * reason); a value outside its plausible physical range is kept, flagged `implausible`.
 */
import { metricSpec } from './domains.ts';
import type { Domain } from './domains.ts';
import type { Reading, ReadingsMessage } from './envelope.ts';
import type { Quality } from './quality.ts';

export interface ValidateOptions {
  /** Clock of the platform, epoch ms. */
  readonly nowMs: number;
  /** How far ahead of the platform clock a device timestamp may be. */
  readonly maxFutureSkewMs: number;
  /** How old a device timestamp may be (edge backlogs can be days old). */
  readonly maxAgeMs: number;
}

export interface RejectedReading {
  readonly index: number;
  readonly reason: string;
}

export interface ValidatedReadings {
  readonly accepted: readonly Reading[];
  readonly rejected: readonly RejectedReading[];
  /** How many values were flagged implausible. */
  readonly implausible: number;
}

export function validateReadings(message: ReadingsMessage, domain: Domain, options: ValidateOptions): ValidatedReadings {
  const accepted: Reading[] = [];
  const rejected: RejectedReading[] = [];
  let implausible = 0;
  message.readings.forEach((reading, index) => {
    if (reading.ts > options.nowMs + options.maxFutureSkewMs) {
      rejected.push({
        index,
        reason: `readings[${index}].ts ${new Date(reading.ts).toISOString()} is more than ${options.maxFutureSkewMs} ms in the future`,
      });
      return;
    }
    if (reading.ts < options.nowMs - options.maxAgeMs) {
      rejected.push({ index, reason: `readings[${index}].ts ${new Date(reading.ts).toISOString()} is older than ${options.maxAgeMs} ms` });
      return;
    }
    const unknown = Object.keys(reading.values).filter((metric) => metricSpec(domain, metric) === undefined);
    if (unknown.length > 0) {
      rejected.push({ index, reason: `readings[${index}]: unknown metric(s) for domain ${domain}: ${unknown.join(', ')}` });
      return;
    }
    const values: Record<string, { v: number; q: Quality }> = {};
    for (const [metric, value] of Object.entries(reading.values)) {
      const spec = metricSpec(domain, metric)!;
      if ((value.v < spec.min || value.v > spec.max) && value.q === 'ok') {
        values[metric] = { v: value.v, q: 'implausible' };
        implausible++;
      } else {
        values[metric] = value;
      }
    }
    accepted.push({ ts: reading.ts, values });
  });
  return { accepted, rejected, implausible };
}
