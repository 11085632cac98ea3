import { test } from 'vitest';
import assert from 'node:assert/strict';
import {
  WARNING_LEVELS,
  WARNING_LEVEL_INFO,
  compareWarningLevels,
  isWarningLevel,
  maxWarningLevel,
  warningLevelRank,
} from './warning-level.ts';

test('docs/standards/warning-levels.md §7: four levels IV 一般 蓝 · III 较重 黄 · II 严重 橙 · I 特别严重 红', () => {
  assert.deepEqual(
    WARNING_LEVELS.map((l) => {
      const info = WARNING_LEVEL_INFO[l];
      return [l, info.roman, info.colorName, info.severity, info.label];
    }),
    [
      ['blue', 'IV', '蓝', '一般', '蓝色预警'],
      ['yellow', 'III', '黄', '较重', '黄色预警'],
      ['orange', 'II', '橙', '严重', '橙色预警'],
      ['red', 'I', '红', '特别严重', '红色预警'],
    ],
  );
  for (const l of WARNING_LEVELS) assert.match(WARNING_LEVEL_INFO[l].hex, /^#[0-9A-F]{6}$/);
});

test('docs/standards/warning-levels.md §7: I is the highest — ranks go blue 1 … red 4, no warning 0', () => {
  assert.deepEqual(WARNING_LEVELS.map(warningLevelRank), [1, 2, 3, 4]);
  assert.equal(warningLevelRank(null), 0);
  assert.equal(warningLevelRank(undefined), 0);
});

test('compareWarningLevels sorts by severity with null lowest', () => {
  assert.ok(compareWarningLevels('red', 'blue') > 0);
  assert.ok(compareWarningLevels('yellow', 'orange') < 0);
  assert.equal(compareWarningLevels('orange', 'orange'), 0);
  assert.ok(compareWarningLevels(null, 'blue') < 0);
  const sorted = (['orange', null, 'red', 'blue', 'yellow'] as const).slice().sort(compareWarningLevels);
  assert.deepEqual(sorted, [null, 'blue', 'yellow', 'orange', 'red']);
});

test('maxWarningLevel picks the most severe and ignores no-warning entries', () => {
  assert.equal(maxWarningLevel('blue', 'orange', 'yellow'), 'orange');
  assert.equal(maxWarningLevel(null, 'blue', undefined), 'blue');
  assert.equal(maxWarningLevel('red', 'red'), 'red');
  assert.equal(maxWarningLevel(null, undefined), null);
  assert.equal(maxWarningLevel(), null);
});

test('isWarningLevel accepts only the four colours', () => {
  assert.ok(isWarningLevel('yellow'));
  assert.ok(!isWarningLevel('green'));
  assert.ok(!isWarningLevel('Red'));
  assert.ok(!isWarningLevel('I'));
});
