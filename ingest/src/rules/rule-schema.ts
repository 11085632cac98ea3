/**
 * Rules are data: one zod schema per kind, validated at the API boundary and when loaded from
 * SQLite. A rule applies to the stations its `scope` selects (all of them when the scope is
 * empty); a rule with `replaces` overrides another rule for the stations it covers (a
 * department's per-station or per-group thresholds over a domain default).
 */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, WATER_CLASSES, DROUGHT_LEVELS, RESERVOIR_STATES } from '@shanshui/models';
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
  name: z.string().min(1).max(200),
  enabled: z.boolean().default(true),
  scope: RuleScopeSchema.default({}),
  /** Id of a rule this one overrides for the stations in its scope. */
  replaces: RuleId.optional(),
  /** Seconds a level must hold before it fires ("above X for 10 min"). Default 0. */
  forSec: z.number().min(0).max(30 * 86_400).default(0),
};

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
  })
  .strict()
  .refine((r) => monotonic(r.levels, 'above') && Object.values(r.levels).every((v) => v! > 0), { message: 'levels must be positive changes rising from blue to red', path: ['levels'] });

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

export const CLASSIFIERS = ['aqi', 'water_class', 'drought', 'reservoir_level'] as const;
export type Classifier = (typeof CLASSIFIERS)[number];

/** Keys a classifier's `levelMap` may use: the classes of its standard. */
export const CLASSIFIER_KEYS: Readonly<Record<Classifier, readonly string[]>> = {
  aqi: ['1', '2', '3', '4', '5', '6'],
  water_class: WATER_CLASSES,
  drought: DROUGHT_LEVELS,
  reservoir_level: RESERVOIR_STATES,
};

export const ClassificationRuleSchema = z
  .object({
    ...common,
    kind: z.literal('classification'),
    classifier: z.enum(CLASSIFIERS),
    /** Class → warning level; classes left out raise none. Default: see DEFAULT_LEVEL_MAPS. */
    levelMap: z.record(z.string(), Level).optional(),
    /** Drought only: the metric carrying relative soil moisture (%). Default moisture_rel. */
    metric: Metric.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const key of Object.keys(r.levelMap ?? {})) {
      if (!CLASSIFIER_KEYS[r.classifier].includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['levelMap', key], message: `not a class of ${r.classifier}; one of ${CLASSIFIER_KEYS[r.classifier].join(', ')}` });
      }
    }
  });

export const RuleInputSchema = z.discriminatedUnion('kind', [ThresholdRuleSchema, RateOfChangeRuleSchema, StaleRuleSchema, ClassificationRuleSchema]);

export type RuleInput = z.input<typeof RuleInputSchema>;
export type RuleScope = z.output<typeof RuleScopeSchema>;
export type ThresholdRule = z.output<typeof ThresholdRuleSchema> & { readonly id: string };
export type RateOfChangeRule = z.output<typeof RateOfChangeRuleSchema> & { readonly id: string };
export type StaleRule = z.output<typeof StaleRuleSchema> & { readonly id: string };
export type ClassificationRule = z.output<typeof ClassificationRuleSchema> & { readonly id: string };
/** A stored rule: validated, defaults filled in, with its id. */
export type Rule = ThresholdRule | RateOfChangeRule | StaleRule | ClassificationRule;

/** The levels a rule can raise, least severe first. */
export function possibleLevels(rule: Rule): readonly WarningLevel[] {
  if (rule.kind === 'threshold' || rule.kind === 'rate_of_change') return WARNING_LEVELS.filter((l) => rule.levels[l] !== undefined);
  if (rule.kind === 'stale') return [rule.level];
  return WARNING_LEVELS;
}
