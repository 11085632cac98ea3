import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ClassifyError } from './classify-error.ts';
import {
  RESERVOIR_STATES,
  RESERVOIR_STATE_LABEL,
  RESERVOIR_STATE_WARNING_LEVEL,
  floodLimitAt,
  monthDayOf,
  reservoirState,
  validateReservoirLevels,
} from './reservoir-state.ts';
import type { ReservoirLevels, ReservoirStateName, StagedFloodLimit } from './reservoir-state.ts';

const levels: ReservoirLevels = {
  deadLevel: 100,
  floodLimitLevel: 120,
  normalLevel: 125,
  floodControlHighLevel: 128,
  designFloodLevel: 130,
  checkFloodLevel: 132,
};

const isLevelsError = (e: unknown): boolean => e instanceof ClassifyError && e.code === 'MODELS_ERR_RESERVOIR_LEVELS_INVALID';

test('docs/standards/warning-levels.md §7: state labels in Chinese and the platform warning ladder', () => {
  assert.deepEqual(
    RESERVOIR_STATES.map((s) => [s, RESERVOIR_STATE_LABEL[s], RESERVOIR_STATE_WARNING_LEVEL[s]]),
    [
      ['below_dead', '低于死水位', null],
      ['normal', '正常', null],
      ['above_flood_limit', '超汛限水位', 'blue'],
      ['above_normal', '超正常蓄水位', 'blue'],
      ['above_flood_control_high', '超防洪高水位', 'yellow'],
      ['above_design_flood', '超设计洪水位', 'orange'],
      ['above_check_flood', '超校核洪水位', 'red'],
    ],
  );
});

test('docs/standards/warning-levels.md §7: "above" a characteristic level is strict — equal to it stays in the lower state', () => {
  const cases: [number, ReservoirStateName][] = [
    [99.99, 'below_dead'],
    [100, 'normal'],
    [120, 'normal'],
    [120.01, 'above_flood_limit'],
    [125.5, 'above_flood_limit'],
    [128, 'above_flood_limit'],
    [128.01, 'above_flood_control_high'],
    [130, 'above_flood_control_high'],
    [130.01, 'above_design_flood'],
    [132, 'above_design_flood'],
    [132.01, 'above_check_flood'],
  ];
  for (const [level, state] of cases) assert.equal(reservoirState(level, levels).state, state, `level ${level}`);
});

test('reservoirState reports label, warning and margins in metres rounded to the millimetre', () => {
  assert.deepEqual(reservoirState(120.01, levels), {
    state: 'above_flood_limit',
    label: '超汛限水位',
    warningLevel: 'blue',
    floodLimitLevel: 120,
    marginToFloodLimit: 0.01,
    marginToNormal: -4.99,
  });
  const low = reservoirState(99.99, levels);
  assert.equal(low.label, '低于死水位');
  assert.equal(low.warningLevel, null);
  assert.equal(low.marginToFloodLimit, -20.01);
  assert.equal(reservoirState(131, levels).warningLevel, 'orange');
  assert.equal(reservoirState(133, levels).label, '超校核洪水位');
  assert.equal(reservoirState(133, levels).warningLevel, 'red');
});

test('optional levels may be left out: no dead level, no 防洪高水位, no normal level', () => {
  const minimal: ReservoirLevels = { floodLimitLevel: 120, designFloodLevel: 130, checkFloodLevel: 132 };
  assert.equal(reservoirState(50, minimal).state, 'normal');
  assert.equal(reservoirState(129, minimal).state, 'above_flood_limit');
  assert.equal(reservoirState(129, minimal).marginToNormal, null);
});

test('docs/standards/warning-levels.md §7 ordering: dead < flood limit ≤ normal, design ≤ check — equal bounds allowed where ≤', () => {
  assert.equal(validateReservoirLevels(levels), levels);
  assert.doesNotThrow(() => validateReservoirLevels({ ...levels, floodLimitLevel: 125 }));
  assert.doesNotThrow(() => validateReservoirLevels({ ...levels, designFloodLevel: 132 }));
  assert.throws(() => validateReservoirLevels({ ...levels, deadLevel: 120 }), /deadLevel \(120\) must be below floodLimitLevel \(120\)/);
  assert.throws(() => validateReservoirLevels({ ...levels, floodLimitLevel: 126 }), /floodLimitLevel \(126\) must be at or below normalLevel \(125\)/);
  assert.throws(() => validateReservoirLevels({ ...levels, designFloodLevel: 133 }), /designFloodLevel \(133\) must be at or below checkFloodLevel \(132\)/);
  assert.throws(() => validateReservoirLevels({ ...levels, floodControlHighLevel: 131 }), isLevelsError);
  assert.throws(() => validateReservoirLevels({ ...levels, normalLevel: 133, floodControlHighLevel: undefined }), isLevelsError);
  assert.throws(() => validateReservoirLevels({ ...levels, normalLevel: Number.NaN }), /normalLevel must be a finite number/);
  assert.throws(() => validateReservoirLevels({ floodLimitLevel: 120, checkFloodLevel: 132 } as unknown as ReservoirLevels), /designFloodLevel is required/);
  assert.throws(() => reservoirState(110, { ...levels, deadLevel: 121 }), isLevelsError);
  assert.throws(() => reservoirState(Number.NaN, levels), (e: unknown) => e instanceof ClassifyError && e.code === 'MODELS_ERR_CLASSIFY_VALUE_INVALID');
});

const staged: readonly StagedFloodLimit[] = [
  { fromMonthDay: '06-01', toMonthDay: '07-31', level: 118 },
  { fromMonthDay: '08-01', toMonthDay: '09-15', level: 121 },
];
const stagedLevels: ReservoirLevels = { ...levels, floodLimitLevel: staged };

test('docs/standards/warning-levels.md §7 staged flood limits: each period applies on its inclusive bounds, none outside', () => {
  assert.equal(floodLimitAt('06-01', staged), 118);
  assert.equal(floodLimitAt('07-31', staged), 118);
  assert.equal(floodLimitAt('08-01', staged), 121);
  assert.equal(floodLimitAt('09-15', staged), 121);
  assert.equal(floodLimitAt('09-16', staged), null);
  assert.equal(floodLimitAt('05-31', staged), null);
  assert.equal(floodLimitAt('12-25', 120), 120, 'a single level applies all year');
});

test('staged periods may wrap the new year and may end on 02-29', () => {
  const wrap: StagedFloodLimit[] = [
    { fromMonthDay: '10-01', toMonthDay: '05-31', level: 124 },
    { fromMonthDay: '06-01', toMonthDay: '09-30', level: 118 },
  ];
  assert.equal(floodLimitAt('12-31', wrap), 124);
  assert.equal(floodLimitAt('01-01', wrap), 124);
  assert.equal(floodLimitAt('05-31', wrap), 124);
  assert.equal(floodLimitAt('06-01', wrap), 118);
  assert.equal(floodLimitAt('02-29', [{ fromMonthDay: '02-01', toMonthDay: '02-29', level: 110 }]), 110);
  assert.doesNotThrow(() => validateReservoirLevels({ ...levels, floodLimitLevel: wrap }));
});

test('staged periods read dates in Beijing time by default', () => {
  assert.equal(monthDayOf(new Date('2025-05-31T16:00:00Z')), '06-01');
  assert.equal(monthDayOf(new Date('2024-02-28T16:00:00Z')), '02-29');
  assert.equal(floodLimitAt(new Date('2025-05-31T16:00:00Z'), staged), 118);
  assert.equal(floodLimitAt(new Date('2025-05-31T15:59:59Z'), staged), null);
  assert.equal(floodLimitAt(new Date('2025-05-31T16:00:00Z'), staged, 0), null);
  assert.throws(() => floodLimitAt(new Date(Number.NaN), staged), ClassifyError);
  assert.throws(() => floodLimitAt('6-1', staged), ClassifyError);
});

test('reservoirState with staged flood limits uses the period in force on the reading date', () => {
  const inMainSeason = reservoirState(119, stagedLevels, { at: '07-01' });
  assert.equal(inMainSeason.state, 'above_flood_limit');
  assert.equal(inMainSeason.floodLimitLevel, 118);
  assert.equal(inMainSeason.marginToFloodLimit, 1);
  const inLateSeason = reservoirState(119, stagedLevels, { at: new Date('2025-08-15T02:00:00Z') });
  assert.equal(inLateSeason.state, 'normal');
  assert.equal(inLateSeason.marginToFloodLimit, -2);
});

test('outside every staged period the normal level is the upper limit (超正常蓄水位)', () => {
  const high = reservoirState(126, stagedLevels, { at: '11-01' });
  assert.deepEqual(high, {
    state: 'above_normal',
    label: '超正常蓄水位',
    warningLevel: 'blue',
    floodLimitLevel: null,
    marginToFloodLimit: null,
    marginToNormal: 1,
  });
  assert.equal(reservoirState(124, stagedLevels, { at: '11-01' }).state, 'normal');
  assert.equal(reservoirState(131, stagedLevels, { at: '11-01' }).state, 'above_design_flood');
});

test('staged flood limits: invalid bounds, overlaps, empty lists, or a missing date are refused', () => {
  assert.throws(() => reservoirState(119, stagedLevels), /needs options.at/);
  assert.throws(() => validateReservoirLevels({ ...levels, floodLimitLevel: [] }), isLevelsError);
  assert.throws(
    () => validateReservoirLevels({ ...levels, floodLimitLevel: [{ fromMonthDay: '02-01', toMonthDay: '02-30', level: 110 }] }),
    /bounds must be 'MM-DD' dates/,
  );
  assert.throws(
    () => validateReservoirLevels({ ...levels, floodLimitLevel: [{ fromMonthDay: '13-01', toMonthDay: '12-31', level: 110 }] }),
    isLevelsError,
  );
  assert.throws(
    () =>
      validateReservoirLevels({
        ...levels,
        floodLimitLevel: [
          { fromMonthDay: '06-01', toMonthDay: '07-31', level: 118 },
          { fromMonthDay: '07-31', toMonthDay: '09-15', level: 121 },
        ],
      }),
    /overlap on 07-31/,
  );
  assert.throws(
    () => validateReservoirLevels({ ...levels, floodLimitLevel: [{ fromMonthDay: '06-01', toMonthDay: '08-31', level: 126 }] }),
    /floodLimitLevel\[0\] \(06-01\.\.08-31\) \(126\) must be at or below normalLevel \(125\)/,
  );
});
