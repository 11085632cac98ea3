/**
 * The national four-level warning scale (docs/standards/warning-levels.md §7): IV 一般 蓝 · III 较重 黄 · II 严重 橙 ·
 * I 特别严重 红. Roman numeral I is the *highest* level, so code ranks by colour, never by numeral.
 *
 * Classifiers return `WarningLevel | null`; `null` means "no warning" and ranks below blue.
 */

export const WARNING_LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type WarningLevel = (typeof WARNING_LEVELS)[number];

export interface WarningLevelInfo {
  /** Official numeral: IV is the lowest, I the highest. */
  readonly roman: 'IV' | 'III' | 'II' | 'I';
  /** 1 (blue) … 4 (red). */
  readonly rank: 1 | 2 | 3 | 4;
  readonly colorName: '蓝' | '黄' | '橙' | '红';
  readonly severity: '一般' | '较重' | '严重' | '特别严重';
  /** e.g. '蓝色预警'. */
  readonly label: string;
  /** Display colour; the standards fix the colour name only, the hex is the platform's choice. */
  readonly hex: string;
}

export const WARNING_LEVEL_INFO: Readonly<Record<WarningLevel, WarningLevelInfo>> = {
  blue: { roman: 'IV', rank: 1, colorName: '蓝', severity: '一般', label: '蓝色预警', hex: '#0000FF' },
  yellow: { roman: 'III', rank: 2, colorName: '黄', severity: '较重', label: '黄色预警', hex: '#FFFF00' },
  // Same orange as AQI level 3 (HJ 633) so one map legend serves both.
  orange: { roman: 'II', rank: 3, colorName: '橙', severity: '严重', label: '橙色预警', hex: '#FF7E00' },
  red: { roman: 'I', rank: 4, colorName: '红', severity: '特别严重', label: '红色预警', hex: '#FF0000' },
};

/** True when `value` names a warning level. */
export function isWarningLevel(value: string): value is WarningLevel {
  return (WARNING_LEVELS as readonly string[]).includes(value);
}

/** Rank of a level: blue 1, yellow 2, orange 3, red 4; `null`/`undefined` (no warning) 0. */
export function warningLevelRank(level: WarningLevel | null | undefined): 0 | 1 | 2 | 3 | 4 {
  return level == null ? 0 : WARNING_LEVEL_INFO[level].rank;
}

/** Sort comparator: negative when `a` is less severe than `b`, 0 when equal, positive otherwise. */
export function compareWarningLevels(a: WarningLevel | null | undefined, b: WarningLevel | null | undefined): number {
  return warningLevelRank(a) - warningLevelRank(b);
}

/** The most severe of the given levels, or `null` when none is a warning. */
export function maxWarningLevel(...levels: readonly (WarningLevel | null | undefined)[]): WarningLevel | null {
  let max: WarningLevel | null = null;
  for (const level of levels) {
    if (warningLevelRank(level) > warningLevelRank(max)) max = level ?? null;
  }
  return max;
}
