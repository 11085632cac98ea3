import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DOMAINS, validateReadings } from '@shanshui/models';
import { createSimulationState, simulateValues } from './simulate-reading.ts';

test('simulated values are known metrics of their domain and inside plausible ranges, a day long', () => {
  const t0 = Date.parse('2026-07-01T00:00:00Z');
  for (const domain of DOMAINS) {
    for (const index of [0, 3, 10]) {
      const state = createSimulationState(index);
      for (let h = 0; h < 24 * 6; h++) {
        const ts = t0 + h * 600_000;
        const values = Object.fromEntries(Object.entries(simulateValues(domain, state, ts)).map(([k, v]) => [k, { v, q: 'ok' as const }]));
        const r = validateReadings({ seq: h, readings: [{ ts, values }] }, domain, { nowMs: ts, maxFutureSkewMs: 0, maxAgeMs: 1e12 });
        assert.equal(r.rejected.length, 0, `${domain}: ${r.rejected[0]?.reason}`);
        assert.equal(r.implausible, 0, `${domain} station ${index}: ${JSON.stringify(values)}`);
      }
    }
  }
});

test('simulation is deterministic per station', () => {
  const a = simulateValues('air', createSimulationState(5), 1_800_000_000_000);
  const b = simulateValues('air', createSimulationState(5), 1_800_000_000_000);
  assert.deepEqual(a, b);
});
