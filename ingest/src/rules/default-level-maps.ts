/**
 * Class → warning level of each classifier, the platform's defaults (a rule's `levelMap`
 * overrides them). Choices, documented because the standards set classes, not warning colours:
 * - AQI (HJ 633): 三级 轻度污染 → blue, 四级 中度污染 → yellow, 五级 重度污染 → orange,
 *   六级 严重污染 → red; 优 and 良 raise nothing.
 * - Water class (GB 3838): IV (轻度污染) → blue, V (中度污染) → yellow, 劣V (重度污染) → orange;
 *   red is left to explicit rules (e.g. a pollution incident threshold on nh3n).
 * - Drought (GB/T 32136): models' DROUGHT_WARNING_LEVEL (轻旱 blue … 特旱 red).
 * - Reservoir: models' RESERVOIR_STATE_WARNING_LEVEL (超汛限 blue, 超防洪高 yellow, 超设计洪水位
 *   orange, 超校核洪水位 red).
 * - Fire danger (LY/T 1172): models' FIRE_DANGER_WARNING_LEVEL (三级 yellow, 四级 orange, 五级 red).
 * - Noise (GB 3096): models' NOISE_CLASS_WARNING_LEVEL (超标 blue, > 5 dB(A) yellow, > 10 orange, 夜间突发 yellow).
 * - Emission permit: models' EMISSION_CLASS_WARNING_LEVEL (超标 yellow, ≥ 1.5× orange, ≥ 2× red).
 * - River flood (MWR): models' RIVER_STATE_WARNING_LEVEL (超警戒 blue … 超历史最高 red).
 * - Rainstorm signal, rainfall trigger: the colour itself.
 * - Landslide (改进切线角): models' DEFORMATION_STAGE_WARNING_LEVEL (初加速 blue … 临滑 red).
 */
import { DEFORMATION_STAGE_WARNING_LEVEL, DROUGHT_WARNING_LEVEL, EMISSION_CLASS_WARNING_LEVEL, FIRE_DANGER_WARNING_LEVEL, NOISE_CLASS_WARNING_LEVEL, RESERVOIR_STATE_WARNING_LEVEL, RIVER_STATE_WARNING_LEVEL } from '@shanshui/models';
import type { WarningLevel } from '@shanshui/models';
import type { Classifier } from './rule-schema.ts';

function nonNull(map: Readonly<Record<string, WarningLevel | null>>): Record<string, WarningLevel> {
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, WarningLevel] => e[1] !== null));
}

export const DEFAULT_LEVEL_MAPS: Readonly<Record<Classifier, Readonly<Record<string, WarningLevel>>>> = {
  aqi: { '3': 'blue', '4': 'yellow', '5': 'orange', '6': 'red' },
  water_class: { IV: 'blue', V: 'yellow', 劣V: 'orange' },
  drought: nonNull(DROUGHT_WARNING_LEVEL),
  reservoir_level: nonNull(RESERVOIR_STATE_WARNING_LEVEL),
  fire_danger: nonNull(FIRE_DANGER_WARNING_LEVEL),
  noise_zone: nonNull(NOISE_CLASS_WARNING_LEVEL),
  emission_permit: nonNull(EMISSION_CLASS_WARNING_LEVEL),
  river_flood: nonNull(RIVER_STATE_WARNING_LEVEL),
  rainstorm_signal: { blue: 'blue', yellow: 'yellow', orange: 'orange', red: 'red' },
  rainfall_trigger: { blue: 'blue', yellow: 'yellow', orange: 'orange', red: 'red' },
  landslide_tangent: nonNull(DEFORMATION_STAGE_WARNING_LEVEL),
};
