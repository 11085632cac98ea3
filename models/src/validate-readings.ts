/**
 * Semantic checks of a parsed readings message against the station's domain: unknown metrics
 * and timestamps far in the future reject a reading (it goes to the dead-letter store with the
 * reason); a value outside its plausible physical range is kept, flagged `implausible`.
 */
import { fieldSpec, metricSpec } from './domains.ts';
import type { Domain, MetricSpec } from './domains.ts';
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

/**
 * `against` is the station's domain, or the metric table of its profile (resolveProfile): then
 * only the profile's metrics (and their statistics fields) are known.
 */
export function validateReadings(message: ReadingsMessage, against: Domain | Readonly<Record<string, MetricSpec>>, options: ValidateOptions): ValidatedReadings {
  const table = typeof against === 'string' ? undefined : against;
  const domain = typeof against === 'string' ? against : undefined;
  const accepted: Reading[] = [];
  const rejected: RejectedReading[] = [];
  let implausible = 0;
  const readings = message.readings;
  for (let index = 0; index < readings.length; index++) {
    const reading = readings[index]!;
    if (reading.ts > options.nowMs + options.maxFutureSkewMs) {
      rejected.push({
        index,
        reason: `readings[${index}].ts ${new Date(reading.ts).toISOString()} is more than ${options.maxFutureSkewMs} ms in the future`,
      });
      continue;
    }
    if (reading.ts < options.nowMs - options.maxAgeMs) {
      rejected.push({ index, reason: `readings[${index}].ts ${new Date(reading.ts).toISOString()} is older than ${options.maxAgeMs} ms` });
      continue;
    }
    // One pass: unknown metrics reject the whole reading; implausible values are flagged (a copy only then).
    let unknown: string[] | undefined;
    let values: Record<string, { v: number; q: Quality }> | undefined;
    let flagged = 0;
    const metrics = Object.keys(reading.values);
    for (let i = 0; i < metrics.length; i++) {
      const metric = metrics[i]!;
      const spec = table ? fieldSpec(table, metric) : metricSpec(domain!, metric);
      if (spec === undefined) {
        (unknown ??= []).push(metric);
        continue;
      }
      if (unknown) continue;
      const value = reading.values[metric]!;
      if ((value.v < spec.min || value.v > spec.max) && value.q === 'ok') {
        if (!values) {
          values = {};
          for (let j = 0; j < i; j++) values[metrics[j]!] = reading.values[metrics[j]!]!;
        }
        values[metric] = { v: value.v, q: 'implausible' };
        flagged++;
      } else if (values) {
        values[metric] = value;
      }
    }
    if (unknown) {
      rejected.push({ index, reason: `readings[${index}]: unknown metric(s) for ${domain !== undefined ? `domain ${domain}` : 'the station profile'}: ${unknown.join(', ')}` });
      continue;
    }
    implausible += flagged;
    accepted.push(values ? { ts: reading.ts, values } : reading);
  }
  return { accepted, rejected, implausible };
}
