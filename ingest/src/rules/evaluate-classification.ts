/**
 * classification: a national classification of the reading (AQI level, GB 3838 water class,
 * drought level, reservoir state against the station's characteristic levels, fire-danger level
 * from the day's weather — see evaluate-fire-danger.ts) mapped to a
 * warning level. Values whose quality is not trustworthy are left out of the classification.
 */
import { AQI_POLLUTANT_INFO, DROUGHT_LEVEL_LABEL, classifyWater, computeRealtimeAqi, droughtLevel, isTrustworthy, realtimeAqiLevel, reservoirState, WATER_FACTOR_INFO } from '@shanshui/models';
import type { Reading, ReservoirLevels, Station, WaterValues } from '@shanshui/models';
import type { ClassificationRule } from './rule-schema.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import type { RuleState } from './rule-state.ts';
import { evaluateFireDanger } from './evaluate-fire-danger.ts';
import { DEFAULT_LEVEL_MAPS } from './default-level-maps.ts';
import { withUnit } from './metric-label.ts';
import { evaluateEmissionPermit, evaluateLandslideTangent, evaluateNoiseZone, evaluateRainfallTrigger, evaluateRainstormSignal, evaluateRiverFlood } from './evaluate-catalogue-classifiers.ts';

const AQI_METRICS = ['pm25', 'pm10', 'so2', 'no2', 'o3', 'co'] as const;

function trusted(reading: Reading, metrics: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) {
    const value = reading.values[m];
    if (value && isTrustworthy(value.q)) out[m] = value.v;
  }
  return out;
}

function num(station: Station, key: string): number | undefined {
  const v = station.attributes?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

/** The station's characteristic levels from its attributes, or undefined when the three required ones are missing. */
export function reservoirLevelsOf(station: Station): ReservoirLevels | undefined {
  const floodLimitLevel = num(station, 'floodLimitLevel');
  const designFloodLevel = num(station, 'designFloodLevel');
  const checkFloodLevel = num(station, 'checkFloodLevel');
  if (floodLimitLevel === undefined || designFloodLevel === undefined || checkFloodLevel === undefined) return undefined;
  const optional = (['deadLevel', 'normalLevel', 'floodControlHighLevel'] as const).flatMap((k) => {
    const v = num(station, k);
    return v === undefined ? [] : [[k, v] as const];
  });
  return { floodLimitLevel, designFloodLevel, checkFloodLevel, ...Object.fromEntries(optional) };
}

/** Throws ClassifyError on bad station attributes (the engine reports it); undefined when the reading has nothing to classify. */
export function evaluateClassification(rule: ClassificationRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const map = rule.levelMap ?? DEFAULT_LEVEL_MAPS[rule.classifier];
  switch (rule.classifier) {
    case 'aqi': {
      const values = trusted(reading, AQI_METRICS);
      // Level and value on every reading; the full result (level name, primary pollutants) only when worded.
      const quick = realtimeAqiLevel(values);
      if (!quick) return undefined;
      return {
        raw: map[String(quick.level)] ?? null,
        value: quick.aqi,
        describe: () => {
          const result = computeRealtimeAqi(values)!;
          const primary = result.primaryPollutants.map((p) => AQI_POLLUTANT_INFO[p].substance).join('、');
          return `AQI ${result.aqi}（${result.levelName} ${result.category}${primary ? `，首要污染物 ${primary}` : ''}）`;
        },
      };
    }
    case 'water_class': {
      const body = station.attributes?.['waterBody'];
      const waterBody = body === 'lake' || body === 'reservoir' ? 'lake' : 'river';
      const result = classifyWater(trusted(reading, ['ph', 'do', 'codmn', 'cod', 'bod5', 'nh3n', 'tp', 'tn', 'fecal_coliform']) as WaterValues, { waterBody });
      if (!result) return undefined;
      // Staff read 总磷、总氮, not the metric codes tp、tn.
      const worst = result.worstFactors.map((f) => WATER_FACTOR_INFO[f].name).join('、');
      return {
        raw: map[result.class] ?? null,
        value: ['I', 'II', 'III', 'IV', 'V', '劣V'].indexOf(result.class) + 1,
        describe: () => `水质 ${result.class} 类（${result.label}${worst ? `，${worst}` : ''}）`,
      };
    }
    case 'drought': {
      const metric = rule.metric ?? 'moisture_rel';
      const v = trusted(reading, [metric])[metric];
      if (v === undefined) return undefined;
      const level = droughtLevel(v);
      return { raw: map[level] ?? null, value: v, describe: () => `土壤相对湿度 ${withUnit(v, '%')}（${DROUGHT_LEVEL_LABEL[level]}）` };
    }
    case 'reservoir_level': {
      const v = trusted(reading, ['water_level'])['water_level'];
      const levels = reservoirLevelsOf(station);
      if (v === undefined || !levels) return undefined;
      const result = reservoirState(v, levels, { at: new Date(reading.ts) });
      return { raw: map[result.state] ?? null, value: v, describe: () => `库水位 ${withUnit(v, 'm')}，${result.label}` };
    }
    case 'fire_danger':
      return evaluateFireDanger(map, reading, state, rule.utcOffsetMin ?? 480);
    case 'noise_zone':
      return evaluateNoiseZone(map, station, reading);
    case 'emission_permit':
      return evaluateEmissionPermit(map, station, reading);
    case 'river_flood':
      return evaluateRiverFlood(map, rule, station, reading);
    case 'rainstorm_signal':
      return evaluateRainstormSignal(map, rule, reading, state);
    case 'rainfall_trigger':
      return evaluateRainfallTrigger(map, rule, station, reading, state);
    case 'landslide_tangent':
      return evaluateLandslideTangent(map, rule, station, reading, state);
  }
}
