/**
 * Rules are data: one zod schema per kind, validated at the API boundary and when loaded from
 * SQLite. A rule applies to the stations its `scope` selects (all of them when the scope is
 * empty); a rule with `replaces` overrides another rule for the stations it covers (a
 * department's per-station or per-group thresholds over a domain default).
 */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, WATER_CLASSES, DROUGHT_LEVELS, RESERVOIR_STATES, NOISE_CLASSES, EMISSION_CLASSES, RIVER_STATES, DEFORMATION_STAGES, plainNameSchema } from '@shanshui/models';
import type { WarningLevel } from '@shanshui/models';

const RuleId = z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,63}$/, 'lowercase letters, digits, _ . - (2–64)');
const Metric = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a metric name such as pm25');
const Level = z.enum(WARNING_LEVELS);

/** Which stations a rule applies to; every given criterion must hold; empty = every station. */
export const RuleScopeSchema = z
  .object({
    domain: z.enum(DOMAINS).optional(),
    department: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lowercase department code').optional(),
    stations: z.array(z.string().min(1).max(64)).min(1).max(10_000).optional(),
  })
  .strict();

/** Thresholds per warning level, e.g. {blue: 35, yellow: 75, orange: 115, red: 150}. */
const LevelThresholds = z
  .object({ blue: z.number().finite(), yellow: z.number().finite(), orange: z.number().finite(), red: z.number().finite() })
  .partial()
  .strict()
  .refine((l) => Object.keys(l).length > 0, 'at least one level (blue, yellow, orange, red)');

const common = {
  id: RuleId.optional(),
  name: plainNameSchema(200),
  enabled: z.boolean().default(true),
  scope: RuleScopeSchema.default({}),
  /** Id of a rule this one overrides for the stations in its scope. */
  replaces: RuleId.optional(),
  /** Seconds a level must hold before it fires ("above X for 10 min"). Default 0. */
  forSec: z.number().min(0).max(30 * 86_400).default(0),
};

/** Station field the corroboration group is read from: `region`, `department`, or the attribute `basin`. */
export const CORROBORATION_GROUPS = ['region', 'department', 'basin'] as const;

/**
 * k of n: the rule may raise `minLevel` or above for a station only while at least `k` stations
 * of its group (counting itself) would raise at least `minLevel` on their own; otherwise the
 * station's level is capped just below `minLevel`.
 */
const CorroborateSchema = z
  .object({
    group: z.enum(CORROBORATION_GROUPS),
    k: z.number().int().min(1).max(1000),
    minLevel: Level,
  })
  .strict();

/** Options of rules whose higher levels may need corroboration. */
const corroborated = { corroborate: CorroborateSchema.optional() };

/** A station attribute holding a number, e.g. 'floodLimitLevel'. */
const AttributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a station attribute name such as floodLimitLevel');

/** Levels must grow more severe in the direction of `op`: above → rising thresholds, below → falling. */
function monotonic(levels: Partial<Record<WarningLevel, number>>, op: 'above' | 'below'): boolean {
  const given = WARNING_LEVELS.filter((l) => levels[l] !== undefined).map((l) => levels[l]!);
  return given.every((v, i) => i === 0 || (op === 'above' ? v > given[i - 1]! : v < given[i - 1]!));
}

export const ThresholdRuleSchema = z
  .object({
    ...common,
    kind: z.literal('threshold'),
    metric: Metric,
    op: z.enum(['above', 'below']),
    levels: LevelThresholds,
    /** Hysteresis: an active level clears only once the value is this far back past its threshold. Default 0. */
    clearDelta: z.number().min(0).default(0),
    ...corroborated,
  })
  .strict()
  .refine((r) => monotonic(r.levels, r.op), { message: 'levels must be strictly more severe from blue to red (rising for op above, falling for op below)', path: ['levels'] });

export const RateOfChangeRuleSchema = z
  .object({
    ...common,
    kind: z.literal('rate_of_change'),
    metric: Metric,
    /** rise: value − lowest value in the window; fall: highest − value. */
    direction: z.enum(['rise', 'fall']).default('rise'),
    windowSec: z.number().positive().max(7 * 86_400),
    /** Change (in the metric's unit, ≥ 0) per warning level, e.g. {blue: 0.5, yellow: 1}. */
    levels: LevelThresholds,
    clearDelta: z.number().min(0).default(0),
    ...corroborated,
  })
  .strict()
  .refine((r) => monotonic(r.levels, 'above') && Object.values(r.levels).every((v) => v! > 0), { message: 'levels must be positive changes rising from blue to red', path: ['levels'] });

/**
 * anomaly: how unusual a value is for this station, metric and hour of day — score =
 * |x − baseline| / (1.4826 · MAD) against a robust baseline (Huber-clipped exponential
 * forgetting of median and MAD per bucket), so outliers barely move it and the daily cycle
 * is its own baseline.
 */
export const AnomalyRuleSchema = z
  .object({
    ...common,
    kind: z.literal('anomaly'),
    metric: Metric,
    /** Score (robust z, ≥ 0) per warning level, e.g. {blue: 5, yellow: 8}. */
    levels: LevelThresholds,
    /** high: only values above the baseline, low: only below, both. Default both. */
    direction: z.enum(['both', 'high', 'low']).default('both'),
    /** hour_of_day: one baseline per local hour (24 buckets); none: one baseline. Default hour_of_day. */
    seasonality: z.enum(['hour_of_day', 'none']).default('hour_of_day'),
    /** Local time offset from UTC for the hour of day, minutes. Default 480 (China). */
    utcOffsetMin: z.number().int().min(-720).max(840).default(480),
    /** Samples per bucket after which an old sample weighs half. Default 500. */
    halfLifeSamples: z.number().min(5).max(1_000_000).default(500),
    /** Samples a bucket needs before the rule may fire on it. Default 30. */
    minSamples: z.number().int().min(5).max(100_000).default(30),
    /** Floor of the MAD (the sensor's resolution, in the metric's unit), so a quiet baseline does not make every wiggle an anomaly. Default 0. */
    minMad: z.number().min(0).default(0),
    /** Hysteresis on the score. Default 0. */
    clearDelta: z.number().min(0).default(0),
    ...corroborated,
  })
  .strict()
  .refine((r) => monotonic(r.levels, 'above') && Object.values(r.levels).every((v) => v! > 0), { message: 'levels must be positive scores rising from blue to red', path: ['levels'] });

/**
 * trend: the rate of rise fitted by least squares over `windowSec`; warns when
 * value + rate × horizonSec crosses a level's threshold (a number, or a station attribute such
 * as floodLimitLevel, so one rule serves every reservoir).
 */
export const TrendRuleSchema = z
  .object({
    ...common,
    kind: z.literal('trend'),
    metric: Metric,
    windowSec: z.number().positive().max(7 * 86_400),
    /** How far ahead the rise is projected, seconds. */
    horizonSec: z.number().positive().max(7 * 86_400),
    /** Threshold per level: a number, or the name of a numeric station attribute. Levels whose attribute a station lacks are skipped. */
    levels: z
      .object({ blue: z.union([z.number().finite(), AttributeName]), yellow: z.union([z.number().finite(), AttributeName]), orange: z.union([z.number().finite(), AttributeName]), red: z.union([z.number().finite(), AttributeName]) })
      .partial()
      .strict()
      .refine((l) => Object.keys(l).length > 0, 'at least one level (blue, yellow, orange, red)'),
    /** Samples in the window before a rate is fitted. Default 3. */
    minSamples: z.number().int().min(2).max(10_000).default(3),
    /** Hysteresis on the projected value. Default 0. */
    clearDelta: z.number().min(0).default(0),
    ...corroborated,
  })
  .strict()
  .refine(
    (r) => {
      const numeric = WARNING_LEVELS.filter((l) => r.levels[l] !== undefined).map((l) => r.levels[l]);
      return !numeric.every((v) => typeof v === 'number') || monotonic(r.levels as Partial<Record<WarningLevel, number>>, 'above');
    },
    { message: 'numeric levels must rise from blue to red', path: ['levels'] },
  );

/**
 * data_quality: checks one metric before any other rule sees it. A value jumping more than
 * max(k · 1.4826 · MAD, minJump) from the median of the last `window` values is a spike; the
 * same value (± epsilon) for at least minDurationSec and minCount readings is a flatline.
 * Flagged values get quality 'spike' / 'flatline' (no rule fires on them) and the rule raises a
 * maintenance alert of its own, resolved once the sensor behaves again.
 */
export const DataQualityRuleSchema = z
  .object({
    ...common,
    kind: z.literal('data_quality'),
    metric: Metric,
    spike: z
      .object({
        /** Recent values the median and MAD are taken over. Default 30. */
        window: z.number().int().min(5).max(500).default(30),
        /** Robust z beyond which a value is a spike. Default 6. */
        k: z.number().positive().default(6),
        /** Smallest jump from the median that counts, in the metric's unit (keeps a quiet sensor's noise from counting). */
        minJump: z.number().positive(),
        /** Values needed before the check runs. Default 10. */
        minSamples: z.number().int().min(3).max(500).default(10),
        /** Clean values after the last spike that resolve the alert. Default 10. */
        clearAfter: z.number().int().min(1).max(10_000).default(10),
      })
      .strict()
      .optional(),
    flatline: z
      .object({
        /** Device time the value must stay put. */
        minDurationSec: z.number().positive().max(30 * 86_400),
        /** Readings the value must stay put. Default 6. */
        minCount: z.number().int().min(2).max(100_000).default(6),
        /** Largest difference still counted as the same value. Default 0. */
        epsilon: z.number().min(0).default(0),
      })
      .strict()
      .optional(),
    /** Level of the maintenance alert. Default blue. */
    level: Level.default('blue'),
  })
  .strict()
  .refine((r) => r.spike !== undefined || r.flatline !== undefined, { message: 'at least one check (spike, flatline)', path: ['spike'] })
  .refine((r) => r.spike === undefined || r.spike.minSamples <= r.spike.window, { message: 'minSamples must not exceed window', path: ['spike', 'minSamples'] });

export const StaleRuleSchema = z
  .object({
    ...common,
    kind: z.literal('stale'),
    /** Expected reporting interval; a station attribute `expectedIntervalSec` wins. */
    expectedIntervalSec: z.number().positive().max(30 * 86_400),
    /** Silent longer than expectedIntervalSec × factor → the rule fires. Default 3. */
    factor: z.number().min(1).max(1000).default(3),
    level: Level.default('blue'),
  })
  .strict();

export const CLASSIFIERS = [
  'aqi',
  'water_class',
  'drought',
  'reservoir_level',
  'fire_danger',
  // The catalogue's domains (issue #15): evaluate-catalogue-classifiers.ts.
  'noise_zone',
  'emission_permit',
  'river_flood',
  'rainstorm_signal',
  'rainfall_trigger',
  'landslide_tangent',
] as const;
export type Classifier = (typeof CLASSIFIERS)[number];

/** Keys a classifier's `levelMap` may use: the classes of its standard. */
export const CLASSIFIER_KEYS: Readonly<Record<Classifier, readonly string[]>> = {
  aqi: ['1', '2', '3', '4', '5', '6'],
  water_class: WATER_CLASSES,
  drought: DROUGHT_LEVELS,
  reservoir_level: RESERVOIR_STATES,
  fire_danger: ['1', '2', '3', '4', '5'],
  noise_zone: NOISE_CLASSES,
  emission_permit: EMISSION_CLASSES,
  river_flood: RIVER_STATES,
  rainstorm_signal: WARNING_LEVELS,
  rainfall_trigger: WARNING_LEVELS,
  landslide_tangent: DEFORMATION_STAGES,
};

export const ClassificationRuleSchema = z
  .object({
    ...common,
    kind: z.literal('classification'),
    classifier: z.enum(CLASSIFIERS),
    /** Class → warning level; classes left out raise none. Default: see DEFAULT_LEVEL_MAPS. */
    levelMap: z.record(z.string(), Level).optional(),
    /** Drought: the metric carrying relative soil moisture (default moisture_rel); rainstorm_signal, rainfall_trigger: the rainfall since the previous reading (default rainfall); landslide_tangent: the cumulative displacement (default displacement). */
    metric: Metric.optional(),
    /** rainfall_trigger: the rolling window summed (default 86400 s); landslide_tangent: the window the rate is taken over (default 86400 s). */
    windowSec: z.number().positive().max(30 * 86_400).optional(),
    /** river_flood: how far below 保证水位 counts as approaching it, m, unless the station's guaranteeApproachM says. Default 0.5. */
    approachM: z.number().min(0).max(100).optional(),
    /** landslide_tangent: tangent angles (°) where each stage begins. Default 45 / 80 / 85 / 89. */
    tangentAngles: z
      .object({ initial: z.number().min(0).max(90), mid: z.number().min(0).max(90), rapid: z.number().min(0).max(90), imminent: z.number().min(0).max(90) })
      .strict()
      .refine((t) => t.initial < t.mid && t.mid < t.rapid && t.rapid < t.imminent, 'angles must rise: initial < mid < rapid < imminent')
      .optional(),
    /** fire_danger only: local time offset from UTC where the day begins, minutes. Default 480 (China). */
    utcOffsetMin: z.number().int().min(-720).max(840).optional(),
    ...corroborated,
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const key of Object.keys(r.levelMap ?? {})) {
      if (!CLASSIFIER_KEYS[r.classifier].includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['levelMap', key], message: `not a class of ${r.classifier}; one of ${CLASSIFIER_KEYS[r.classifier].join(', ')}` });
      }
    }
  });

export const RuleInputSchema = z.discriminatedUnion('kind', [
  ThresholdRuleSchema,
  RateOfChangeRuleSchema,
  StaleRuleSchema,
  ClassificationRuleSchema,
  AnomalyRuleSchema,
  TrendRuleSchema,
  DataQualityRuleSchema,
]);

export type RuleInput = z.input<typeof RuleInputSchema>;
export type RuleScope = z.output<typeof RuleScopeSchema>;
export type ThresholdRule = z.output<typeof ThresholdRuleSchema> & { readonly id: string };
export type RateOfChangeRule = z.output<typeof RateOfChangeRuleSchema> & { readonly id: string };
export type StaleRule = z.output<typeof StaleRuleSchema> & { readonly id: string };
export type ClassificationRule = z.output<typeof ClassificationRuleSchema> & { readonly id: string };
export type AnomalyRule = z.output<typeof AnomalyRuleSchema> & { readonly id: string };
export type TrendRule = z.output<typeof TrendRuleSchema> & { readonly id: string };
export type DataQualityRule = z.output<typeof DataQualityRuleSchema> & { readonly id: string };
export type Corroborate = z.output<typeof CorroborateSchema>;
/** A stored rule: validated, defaults filled in, with its id. */
export type Rule = ThresholdRule | RateOfChangeRule | StaleRule | ClassificationRule | AnomalyRule | TrendRule | DataQualityRule;

const possibleLevelsOf = new WeakMap<Rule, readonly WarningLevel[]>();

/** The levels a rule can raise, least severe first. */
export function possibleLevels(rule: Rule): readonly WarningLevel[] {
  // Asked for every reading a rule sees: worked out once per rule object (a rule is replaced, never changed in place).
  let levels = possibleLevelsOf.get(rule);
  if (levels === undefined) {
    if (rule.kind === 'threshold' || rule.kind === 'rate_of_change' || rule.kind === 'anomaly' || rule.kind === 'trend') levels = WARNING_LEVELS.filter((l) => rule.levels[l] !== undefined);
    else if (rule.kind === 'stale' || rule.kind === 'data_quality') levels = [rule.level];
    else levels = WARNING_LEVELS;
    possibleLevelsOf.set(rule, levels);
  }
  return levels;
}
