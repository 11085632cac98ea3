/**
 * Fills in the 折算 value `<metric>_zs` of a pollution-source reading when the logger sent only
 * the measured concentration: C折 = C × (21 − O2基准) / (21 − O2实测) (docs/standards/pollution-source.md),
 * with O2实测 the reading's `o2` and O2基准 the station's `o2Reference` attribute. A value the
 * logger sent itself is never replaced. Without a trustworthy O2 below 21 % nothing is added.
 */
import type { MetricSpec } from '../domains.ts';
import type { Reading } from '../envelope.ts';
import { isTrustworthy } from '../quality.ts';
import type { Quality } from '../quality.ts';
import { correctedConcentration } from '../classify/emission-permit.ts';

export function addCorrectedValues(reading: Reading, metrics: Readonly<Record<string, MetricSpec>>, o2Reference: number | undefined): Reading {
  if (o2Reference === undefined || !(o2Reference >= 0 && o2Reference < 21)) return reading;
  const o2 = reading.values['o2'];
  if (!o2 || !isTrustworthy(o2.q) || !(o2.v >= 0 && o2.v < 21)) return reading;
  let values: Record<string, { v: number; q: Quality }> | undefined;
  for (const [field, value] of Object.entries(reading.values)) {
    const spec = Object.hasOwn(metrics, field) ? metrics[field] : undefined;
    if (spec?.corrected !== true || Object.hasOwn(reading.values, `${field}_zs`)) continue;
    values ??= { ...reading.values };
    const scale = 10 ** (spec.precision + 1);
    const v = Math.round(correctedConcentration(value.v, o2.v, o2Reference) * scale) / scale;
    // A measured value near Number.MAX_VALUE (implausible, but kept) has no finite 折算 value: none is made.
    if (Number.isFinite(v)) values[`${field}_zs`] = { v, q: value.q };
  }
  return values ? { ts: reading.ts, values } : reading;
}
