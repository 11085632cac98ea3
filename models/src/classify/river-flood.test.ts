// River flood warning colours at their boundaries (docs/standards/river-flood.md).
import { test, expect } from 'vitest';
import { RIVER_STATE_WARNING_LEVEL, riverState } from './river-flood.ts';

const levels = { warning: 7.5, guarantee: 9, historicMax: 9.8 };

test('blue at 警戒水位, yellow within 0.5 m of 保证水位, orange at 保证水位, red at the historic maximum', () => {
  const cases: Array<[number, string]> = [[7.49, 'normal'], [7.5, 'above_warning'], [8.49, 'above_warning'], [8.5, 'near_guarantee'], [8.99, 'near_guarantee'], [9, 'above_guarantee'], [9.79, 'above_guarantee'], [9.8, 'above_historic']];
  for (const [v, state] of cases) expect(riverState(v, levels), `${v} m`).toBe(state);
  expect(RIVER_STATE_WARNING_LEVEL.above_warning).toBe('blue');
  expect(RIVER_STATE_WARNING_LEVEL.near_guarantee).toBe('yellow');
  expect(RIVER_STATE_WARNING_LEVEL.above_guarantee).toBe('orange');
  expect(RIVER_STATE_WARNING_LEVEL.above_historic).toBe('red');
});

test('the approach margin is configurable; it never reaches below 警戒水位', () => {
  expect(riverState(8.0, { ...levels, approach: 1 })).toBe('near_guarantee');
  expect(riverState(7.9, { ...levels, approach: 1 })).toBe('above_warning');
  expect(riverState(7.4, { warning: 7.5, guarantee: 7.8, approach: 1 })).toBe('normal');
});

test('without a historic maximum there is no red; a record below 保证水位 gives no red either', () => {
  expect(riverState(20, { warning: 7.5, guarantee: 9 })).toBe('above_guarantee');
  expect(riverState(8.7, { warning: 7.5, guarantee: 9, historicMax: 8.6 })).toBe('near_guarantee');
});

test('保证水位 not above 警戒水位 is refused', () => {
  expect(() => riverState(8, { warning: 9, guarantee: 9 })).toThrow(/保证水位/);
});
