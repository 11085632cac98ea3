// GB 3096-2008 table 1 limits at their boundaries (docs/standards/gb3096-noise.md).
import { test, expect } from 'vitest';
import { GB3096_LIMITS, NOISE_ZONES, classifyNoise, noisePeriodAt } from './noise-zone.ts';

const at = (localHHMM: string): Date => new Date(`2026-07-01T${localHHMM}:00+08:00`);

test('day is 06:00–21:59 local, night 22:00–05:59 (GB 3096 §3)', () => {
  expect(noisePeriodAt(at('05:59'))).toBe('night');
  expect(noisePeriodAt(at('06:00'))).toBe('day');
  expect(noisePeriodAt(at('21:59'))).toBe('day');
  expect(noisePeriodAt(at('22:00'))).toBe('night');
  expect(noisePeriodAt(at('22:30'), { nightStartHour: 23 })).toBe('day');
});

test('every zone: a level equal to its limit complies, 0.1 dB(A) over is 超标, day and night', () => {
  const expected = { '0': [50, 40], '1': [55, 45], '2': [60, 50], '3': [65, 55], '4a': [70, 55], '4b': [70, 60] } as const;
  for (const zone of NOISE_ZONES) {
    expect([GB3096_LIMITS[zone].day, GB3096_LIMITS[zone].night]).toEqual(expected[zone]);
    for (const [time, limit] of [['12:00', expected[zone][0]], ['02:00', expected[zone][1]]] as const) {
      expect(classifyNoise({ laeq: limit }, zone, at(time)).class).toBe('compliant');
      expect(classifyNoise({ laeq: limit + 0.1 }, zone, at(time)).class).toBe('over');
      expect(classifyNoise({ laeq: limit + 5 }, zone, at(time)).class).toBe('over');
      expect(classifyNoise({ laeq: limit + 5.1 }, zone, at(time)).class).toBe('over_5');
      expect(classifyNoise({ laeq: limit + 10 }, zone, at(time)).class).toBe('over_5');
      expect(classifyNoise({ laeq: limit + 10.1 }, zone, at(time)).class).toBe('over_10');
    }
  }
});

test('night-time sudden noise: Lmax more than 15 dB(A) over the night limit is an exceedance; at 15 it is not; by day it is not judged', () => {
  // Zone 2 night limit 50.
  expect(classifyNoise({ laeq: 45, lmax: 65 }, '2', at('01:00')).class).toBe('compliant');
  const r = classifyNoise({ laeq: 45, lmax: 65.1 }, '2', at('01:00'));
  expect(r.class).toBe('night_sudden');
  expect(r.suddenExcess).toBeCloseTo(15.1);
  expect(classifyNoise({ laeq: 45, lmax: 90 }, '2', at('12:00')).class).toBe('compliant');
  // A worse LAeq class wins over the sudden-noise class.
  expect(classifyNoise({ laeq: 61, lmax: 80 }, '2', at('01:00')).class).toBe('over_10');
});

test('an unknown zone is refused with the zone named', () => {
  expect(() => classifyNoise({ laeq: 50 }, '5' as '0', at('12:00'))).toThrow(/noise zone/);
});

test('a day or night equivalent level (Ld, Ln) is judged against its own period whatever the time', () => {
  expect(classifyNoise({ laeq: 55.1 }, '1', at('03:00'), { period: 'day' }).class).toBe('over');
  expect(classifyNoise({ laeq: 45 }, '1', at('12:00'), { period: 'night' }).class).toBe('compliant');
  expect(classifyNoise({ laeq: 45.1 }, '1', at('12:00'), { period: 'night' }).class).toBe('over');
});
