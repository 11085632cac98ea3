/** Warning levels as the map draws them (colours from @shanshui/models, GB/T 29639-style 蓝黄橙红). */
import { WARNING_LEVEL_INFO } from '../../models/src/classify/warning-level.ts';
import type { Alert } from './api.ts';

export type Level = Alert['level'];
export const LEVELS: readonly Level[] = ['red', 'orange', 'yellow', 'blue'];
export const RANK: Record<Level, number> = { blue: 1, yellow: 2, orange: 3, red: 4 };
/** Map colours: the standard hues; pure #FFFF00 yellow is unreadable on a light map, so the marker yellow is a deeper 金黄. */
export const LEVEL_COLOR: Record<Level, string> = { blue: '#1f5fff', yellow: '#e6c000', orange: WARNING_LEVEL_INFO.orange.hex, red: WARNING_LEVEL_INFO.red.hex };
export const LEVEL_LABEL: Record<Level, string> = {
  blue: WARNING_LEVEL_INFO.blue.label,
  yellow: WARNING_LEVEL_INFO.yellow.label,
  orange: WARNING_LEVEL_INFO.orange.label,
  red: WARNING_LEVEL_INFO.red.label,
};
export const LEVEL_LABEL_EN: Record<Level, string> = { blue: 'Blue (IV)', yellow: 'Yellow (III)', orange: 'Orange (II)', red: 'Red (I)' };
export const NORMAL_COLOR = '#1a9850';
export const OFFLINE_COLOR = '#9e9e9e';

/** Open alerts first by level (red first), then newest first. */
export function byLevelThenTime(a: Alert, b: Alert): number {
  return RANK[b.level] - RANK[a.level] || Date.parse(b.openedAt) - Date.parse(a.openedAt);
}
