/** validateReadings against its plain first version (kept here as the reference) on random messages. */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { metricSpec } from './domains.ts';
import type { Domain } from './domains.ts';
import { DOMAINS } from './domains.ts';
import type { Reading, ReadingsMessage } from './envelope.ts';
import type { Quality } from './quality.ts';
import { validateReadings } from './validate-readings.ts';
import type { RejectedReading, ValidateOptions, ValidatedReadings } from './validate-readings.ts';

function reference(message: ReadingsMessage, domain: Domain, options: ValidateOptions): ValidatedReadings {
  const accepted: Reading[] = [];
  const rejected: RejectedReading[] = [];
  let implausible = 0;
  message.readings.forEach((reading, index) => {
    if (reading.ts > options.nowMs + options.maxFutureSkewMs) {
      rejected.push({ index, reason: `readings[${index}].ts ${new Date(reading.ts).toISOString()} is more than ${options.maxFutureSkewMs} ms in the future` });
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
      } else values[metric] = value;
    }
    accepted.push({ ts: reading.ts, values });
  });
  return { accepted, rejected, implausible };
}

test('validateReadings decides and flags exactly as the reference', () => {
  let s = 99;
  const r = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const names = ['pm25', 'pm10', 'so2', 'no2', 'o3', 'co', 'temperature', 'humidity', 'ph', 'water_level', 'moisture_rel', 'bogus', 'x y'];
  const qualities: Quality[] = ['ok', 'ok', 'maintenance', 'fault'];
  const now = 1_795_000_000_000;
  const opts = { nowMs: now, maxFutureSkewMs: 300_000, maxAgeMs: 30 * 86_400_000 };
  for (let i = 0; i < 5000; i++) {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const readings: Reading[] = Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
      const values: Record<string, { v: number; q: Quality }> = {};
      for (let n = 1 + Math.floor(r() * 5); n > 0; n--) values[names[Math.floor(r() * names.length)]!] = { v: (r() - 0.3) * 3000, q: qualities[Math.floor(r() * qualities.length)]! };
      const ts = r() < 0.9 ? now - Math.floor(r() * 1e9) : r() < 0.5 ? now + 1e9 : now - 1e11;
      return { ts, values };
    });
    const message = { seq: i, readings };
    assert.deepStrictEqual(validateReadings(message, domain, opts), reference(message, domain, opts));
  }
});
