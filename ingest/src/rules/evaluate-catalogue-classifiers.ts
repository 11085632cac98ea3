/**
 * Classification rules of the catalogue's new domains (issue #15), each from its standard and
 * the station's own attributes (docs/standards/):
 * - noise_zone       GB 3096-2008 zone limits, day/night, night-time sudden noise (gb3096-noise.md)
 * - emission_permit  超标 against the outlet's permit limits `limit_<metric>`, 折算 values first (pollution-source.md)
 * - river_flood      警戒/保证/历史最高水位 and discharge, MWR flood-warning colours (river-flood.md)
 * - rainstorm_signal national 暴雨预警信号 from rolling 3/6/12 h rainfall (gbt28592-rain.md)
 * - rainfall_trigger a geohazard point's rolling 24 h rainfall against its thresholds (geohazard.md)
 * - landslide_tangent improved tangent-angle method on cumulative displacement (geohazard.md)
 * Rolling windows keep (ts, value) samples in the rule state, so they survive a restart.
 */
import {
  DEFAULT_GUARANTEE_APPROACH_M,
  DEFAULT_TANGENT_THRESHOLDS,
  DEFORMATION_STAGE_LABEL,
  EMISSION_CLASSES,
  NOISE_CLASSES,
  RAIN_GRADE_LABEL,
  RIVER_STATES,
  RIVER_STATE_LABEL,
  classifyNoise,
  deformationStage,
  displacementKinematics,
  emissionClass,
  isNoiseZone,
  isTrustworthy,
  metricSpec,
  rainGrade24h,
  rainstormSignal,
  riverState,
  rollingRainfall,
  tangentAngle,
  warningLevelRank,
} from '@shanshui/models';
import type { NoiseClass, Reading, Station, WarningLevel } from '@shanshui/models';
import type { ClassificationRule } from './rule-schema.ts';
import type { RuleState } from './rule-state.ts';
import type { RuleVerdict } from './rule-verdict.ts';
import { withUnit } from './metric-label.ts';

type LevelMap = Readonly<Record<string, WarningLevel>>;

function trusted(reading: Reading, metric: string): number | undefined {
  const v = reading.values[metric];
  return v && isTrustworthy(v.q) ? v.v : undefined;
}

function attr(station: Station, key: string): number | undefined {
  const v = station.attributes?.[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Appends (ts, value) and drops samples older than `windowMs` before the newest reading. */
function remember(state: RuleState, ts: number, value: number, windowMs: number): Array<[number, number]> {
  const samples = (state.samples ??= []);
  if (samples.length === 0 || ts > samples[samples.length - 1]![0]) samples.push([ts, value]);
  else if (!samples.some((s) => s[0] === ts)) {
    samples.push([ts, value]);
    samples.sort((a, b) => a[0] - b[0]);
  }
  const from = samples[samples.length - 1]![0] - windowMs;
  while (samples.length > 0 && samples[0]![0] <= from) samples.shift();
  return samples;
}

export function evaluateNoiseZone(map: LevelMap, station: Station, reading: Reading): RuleVerdict | undefined {
  const zone = station.attributes?.['noiseZone'];
  const zoneText = typeof zone === 'number' ? String(zone) : zone;
  if (!isNoiseZone(zoneText)) return undefined;
  const at = new Date(reading.ts);
  const laeq = trusted(reading, 'laeq') ?? trusted(reading, 'la');
  const lmax = trusted(reading, 'lmax');
  const ld = trusted(reading, 'ld');
  const ln = trusted(reading, 'ln');
  // Each level against its limit: LAeq (and at night Lmax) by the reading's time; Ld by day's, Ln by night's.
  const candidates: Array<{ cls: NoiseClass; value: number; text: () => string }> = [];
  if (laeq !== undefined || lmax !== undefined) {
    const r = classifyNoise({ ...(laeq !== undefined ? { laeq } : {}), ...(lmax !== undefined ? { lmax } : {}) }, zoneText, at);
    const period = r.period === 'day' ? '昼间' : '夜间';
    candidates.push({
      cls: r.class,
      value: r.class === 'night_sudden' ? lmax! : (laeq ?? lmax!),
      text: () =>
        r.class === 'night_sudden'
          ? `夜间突发噪声 Lmax ${withUnit(lmax!, 'dB(A)')}，超过 ${zoneText} 类区夜间限值 ${r.limit} dB(A) ${withUnit(r.suddenExcess!, 'dB(A)')}（GB 3096 限 15 dB(A)）`
          : laeq === undefined
            ? `Lmax ${withUnit(lmax!, 'dB(A)')}`
            : `${period}等效声级 ${withUnit(laeq, 'dB(A)')}，${zoneText} 类声环境功能区${period}限值 ${r.limit} dB(A)${r.excess !== undefined && r.excess > 0 ? `，超标 ${withUnit(r.excess, 'dB(A)')}` : ''}`,
    });
  }
  for (const [value, period, label] of [[ld, 'day', '昼间'], [ln, 'night', '夜间']] as const) {
    if (value === undefined) continue;
    const r = classifyNoise({ laeq: value }, zoneText, at, { period });
    candidates.push({ cls: r.class, value, text: () => `${label}等效声级 L${period === 'day' ? 'd' : 'n'} ${withUnit(value, 'dB(A)')}，${zoneText} 类区${label}限值 ${r.limit} dB(A)${r.excess! > 0 ? `，超标 ${withUnit(r.excess!, 'dB(A)')}` : ''}` });
  }
  if (candidates.length === 0) return undefined;
  // The most severe level wins; on a tie, the larger class (a sudden noise names itself).
  const rank = (c: NoiseClass): number => warningLevelRank(map[c] ?? null) * 10 + NOISE_CLASSES.indexOf(c);
  const worst = candidates.reduce((a, b) => (rank(b.cls) > rank(a.cls) ? b : a));
  return { raw: map[worst.cls] ?? null, value: worst.value, describe: worst.text };
}

export function evaluateEmissionPermit(map: LevelMap, station: Station, reading: Reading): RuleVerdict | undefined {
  let worst: { cls: (typeof EMISSION_CLASSES)[number]; ratio: number; text: string } | undefined;
  for (const [key] of Object.entries(station.attributes ?? {})) {
    if (!key.startsWith('limit_')) continue;
    const metric = key.slice(6);
    const limit = attr(station, key);
    if (limit === undefined || !(limit > 0)) continue;
    const spec = metricSpec(station.domain, metric);
    const corrected = spec?.corrected === true ? trusted(reading, `${metric}_zs`) : undefined;
    const value = corrected ?? trusted(reading, metric);
    if (value === undefined) continue;
    const cls = emissionClass(value, limit);
    const ratio = value / limit;
    if (!worst || EMISSION_CLASSES.indexOf(cls) > EMISSION_CLASSES.indexOf(worst.cls) || (cls === worst.cls && ratio > worst.ratio)) {
      const unit = spec?.unit ?? '';
      worst = { cls, ratio, text: `${spec?.name ?? metric}${corrected !== undefined ? '折算浓度' : ''} ${withUnit(value, unit)}，许可排放限值 ${withUnit(limit, unit)}${cls === 'compliant' ? '' : `，超标 ${Math.round((ratio - 1) * 1000) / 10}%`}` };
    }
  }
  if (!worst) return undefined;
  const w = worst;
  return { raw: map[w.cls] ?? null, value: Math.round(w.ratio * 1000) / 1000, describe: () => w.text };
}

export function evaluateRiverFlood(map: LevelMap, rule: ClassificationRule, station: Station, reading: Reading): RuleVerdict | undefined {
  const results: Array<{ state: (typeof RIVER_STATES)[number]; value: number; text: string }> = [];
  const level = trusted(reading, 'water_level');
  const warning = attr(station, 'warningLevel');
  const guarantee = attr(station, 'guaranteeLevel');
  if (level !== undefined && warning !== undefined && guarantee !== undefined) {
    const historicMax = attr(station, 'historicMaxLevel');
    const approach = attr(station, 'guaranteeApproachM') ?? rule.approachM ?? DEFAULT_GUARANTEE_APPROACH_M;
    const state = riverState(level, { warning, guarantee, approach, ...(historicMax !== undefined ? { historicMax } : {}) });
    results.push({ state, value: level, text: `水位 ${withUnit(level, 'm')}，${RIVER_STATE_LABEL[state]}（警戒 ${warning} m，保证 ${guarantee} m${historicMax !== undefined ? `，历史最高 ${historicMax} m` : ''}）` });
  }
  const flow = trusted(reading, 'flow');
  const warningFlow = attr(station, 'warningFlow');
  const guaranteeFlow = attr(station, 'guaranteeFlow');
  if (flow !== undefined && warningFlow !== undefined && guaranteeFlow !== undefined) {
    const historicMax = attr(station, 'historicMaxFlow');
    const state = riverState(flow, { warning: warningFlow, guarantee: guaranteeFlow, approach: guaranteeFlow * 0.05, ...(historicMax !== undefined ? { historicMax } : {}) });
    results.push({ state, value: flow, text: `流量 ${withUnit(flow, 'm³/s')}，${RIVER_STATE_LABEL[state].replace('水位', '流量')}（警戒 ${warningFlow} m³/s，保证 ${guaranteeFlow} m³/s）` });
  }
  if (results.length === 0) return undefined;
  const worst = results.reduce((a, b) => (RIVER_STATES.indexOf(b.state) > RIVER_STATES.indexOf(a.state) ? b : a));
  return { raw: map[worst.state] ?? null, value: worst.value, describe: () => worst.text };
}

export function evaluateRainstormSignal(map: LevelMap, rule: ClassificationRule, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const metric = rule.metric ?? 'rainfall';
  const mm = trusted(reading, metric);
  if (mm === undefined) return undefined;
  const samples = remember(state, reading.ts, mm, 24 * 3_600_000);
  const totals = rollingRainfall(samples, reading.ts);
  const signal = rainstormSignal(totals);
  const grade = RAIN_GRADE_LABEL[rainGrade24h(totals.h24)];
  return {
    raw: signal ? (map[signal] ?? null) : null,
    value: totals.h3,
    describe: () => `累计降雨 3 小时 ${withUnit(totals.h3, 'mm')}，6 小时 ${withUnit(totals.h6, 'mm')}，12 小时 ${withUnit(totals.h12, 'mm')}，24 小时 ${withUnit(totals.h24, 'mm')}（${grade}）`,
  };
}

/** Default 24 h rainfall thresholds (mm) of a geohazard point without its own (platform choice, docs/standards/geohazard.md). */
export const DEFAULT_RAINFALL_TRIGGER_MM: Readonly<Record<WarningLevel, number>> = { blue: 50, yellow: 100, orange: 150, red: 200 };

export function evaluateRainfallTrigger(map: LevelMap, rule: ClassificationRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const metric = rule.metric ?? 'rainfall';
  const mm = trusted(reading, metric);
  if (mm === undefined) return undefined;
  const windowSec = rule.windowSec ?? 86_400;
  const samples = remember(state, reading.ts, mm, windowSec * 1000);
  const total = Math.round(samples.reduce((s, [, v]) => s + (v > 0 ? v : 0), 0) * 1000) / 1000;
  const key = (l: WarningLevel): string => `rainfall24h${l[0]!.toUpperCase()}${l.slice(1)}`;
  let cls: WarningLevel | null = null;
  for (const l of ['blue', 'yellow', 'orange', 'red'] as const) {
    const threshold = attr(station, key(l)) ?? DEFAULT_RAINFALL_TRIGGER_MM[l];
    if (total >= threshold) cls = l;
  }
  return { raw: cls ? (map[cls] ?? null) : null, value: total, describe: () => `${Math.round(windowSec / 3600)} 小时累计降雨 ${withUnit(total, 'mm')}，达到监测点降雨预警阈值` };
}

export function evaluateLandslideTangent(map: LevelMap, rule: ClassificationRule, station: Station, reading: Reading, state: RuleState): RuleVerdict | undefined {
  const metric = rule.metric ?? 'displacement';
  const s = trusted(reading, metric);
  const v = attr(station, 'constantRateMmPerDay');
  if (s === undefined || v === undefined || !(v > 0)) return undefined;
  const windowMs = (rule.windowSec ?? 86_400) * 1000;
  const samples = remember(state, reading.ts, s, windowMs);
  // A rate needs a quarter of the window of record (6 h of a day), not the first minutes.
  const k = displacementKinematics(samples, windowMs / 4);
  if (!k) return undefined;
  const angle = tangentAngle(k.rate, v);
  const stage = deformationStage(angle, rule.tangentAngles ?? DEFAULT_TANGENT_THRESHOLDS);
  return {
    raw: map[stage] ?? null,
    value: Math.round(angle * 100) / 100,
    describe: () => `改进切线角 ${Math.round(angle * 10) / 10}°（${DEFORMATION_STAGE_LABEL[stage]}）：位移速率 ${withUnit(k.rate, 'mm/d')}，加速度 ${withUnit(k.acceleration, 'mm/d²')}，等速速率 ${v} mm/d`,
  };
}

