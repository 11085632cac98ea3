/**
 * The zod schemas of the sensor catalogue (docs/catalogue.md): what a metric, a domain and a
 * station profile are. The shipped data files (./data/*.json) are validated against them when
 * models is imported, and custom profiles against the same ProfileSchema at the API.
 */
import * as z from 'zod';

export const METRIC_ID_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
/** Field suffixes a metric's HJ 212 statistics are stored under (see hj212-fields.ts). */
export const RESERVED_METRIC_SUFFIXES = ['_min', '_max', '_cou', '_zs', '_zs_min', '_zs_max'] as const;

/**
 * A metric id is an InfluxDB field name beside each metric's `q_{metric}` quality string field:
 * a metric `q_pm25` would be a float in one point and pm25's quality string in another — a field
 * type conflict that makes InfluxDB refuse the whole write. `time` is InfluxDB's own column
 * (a field of that name is refused).
 */
const MetricId = z
  .string()
  .regex(METRIC_ID_PATTERN, 'lowercase letters, digits and _ (1–48), starting with a letter')
  .refine((id) => !RESERVED_METRIC_SUFFIXES.some((s) => id.endsWith(s)), 'must not end in a statistics suffix (_min, _max, _cou, _zs)')
  .refine((id) => !id.startsWith('q_'), 'must not start with q_: the quality field of metric <name> is stored as q_<name>')
  .refine((id) => id !== 'time', "must not be time: InfluxDB's own time column");

export const MetricDefSchema = z
  .strictObject({
    /** Field name in InfluxDB and in readings. */
    id: MetricId,
    /** Chinese name as staff use it. */
    name: z.string().min(1).max(100),
    nameEn: z.string().min(1).max(100),
    /** Unit of the stored value ('' for dimensionless). */
    unit: z.string().max(32),
    /** Decimals worth showing. */
    precision: z.number().int().min(0).max(6),
    /** Plausible physical range, inclusive: outside it a value is stored flagged implausible. */
    min: z.number().finite(),
    max: z.number().finite(),
    /** HJ 212 factor codes that carry this metric. */
    hj212: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]{1,15}$/)).optional(),
    /** SL 651 element symbol (identifier guide), e.g. PJ, Z, Q. */
    sl651: z.string().regex(/^[A-Z][A-Z0-9]{0,7}$/).optional(),
    /** Unit of the HJ 212 `Cou` emission total over an interval; without it no `_cou` field is accepted. */
    couUnit: z.string().max(32).optional(),
    /** Whether a 折算 (reference-O2 corrected) value exists: `_zs` fields are accepted and computed. */
    corrected: z.boolean().optional(),
  })
  .refine((m) => m.min <= m.max, { message: 'min must not exceed max', path: ['min'] });
export type MetricDef = z.output<typeof MetricDefSchema>;

export const DomainDefSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z_]{1,31}$/),
  name: z.string().min(1),
  nameEn: z.string().min(1),
  /** Classifiers (rule engine) that apply to stations of this domain. */
  classifications: z.array(z.string().regex(/^[a-z_]+$/)),
  metrics: z.array(MetricDefSchema).min(1),
});
export type DomainDef = z.output<typeof DomainDefSchema>;

export const CatalogueSchema = z
  .strictObject({
    /** Version of the shipped catalogue (date-based). */
    version: z.string().min(1),
    /** Metrics any station may report about its own device. */
    common: z.array(MetricDefSchema),
    domains: z.array(DomainDefSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    for (const [i, d] of c.domains.entries()) {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['domains', i, 'id'], message: `duplicate domain ${d.id}` });
      seen.add(d.id);
      const ids = new Set<string>();
      for (const [j, m] of d.metrics.entries()) {
        if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['domains', i, 'metrics', j, 'id'], message: `duplicate metric ${m.id} in ${d.id}` });
        ids.add(m.id);
      }
    }
  });
export type Catalogue = z.output<typeof CatalogueSchema>;

export const PROFILE_ID_PATTERN = /^[a-z][a-z0-9_.-]{1,63}$/;

/** A station attribute a profile expects (zone class, permit limit, warning level …). */
export const ProfileAttributeSchema = z.strictObject({
  key: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a station attribute name such as noiseZone'),
  name: z.string().min(1).max(100),
  unit: z.string().max(32).optional(),
  /** Stations of this profile must carry it. Default false. */
  required: z.boolean().default(false),
});

/**
 * A station profile: one kind of station (a noise station, a power plant stack, a GNSS landslide
 * point). Based on a domain (its measurement, classifications and default rules); reports a
 * selection of the domain's metrics and may add metrics the domain lacks.
 */
export const ProfileSchema = z
  .strictObject({
    id: z.string().regex(PROFILE_ID_PATTERN, 'lowercase letters, digits, _ . - (2–64), starting with a letter'),
    /** Grows by one on every change through the API. */
    version: z.number().int().min(1).default(1),
    name: z.string().min(1).max(100),
    nameEn: z.string().min(1).max(100).optional(),
    domain: z.string().regex(/^[a-z][a-z_]{1,31}$/),
    /** Profile whose metrics and attributes this one inherits (same domain). */
    extends: z.string().regex(PROFILE_ID_PATTERN).optional(),
    /** Domain metrics reported; default all of the domain's. */
    metrics: z.array(z.string().regex(METRIC_ID_PATTERN)).min(1).max(1000).optional(),
    /** Metrics the domain does not define. */
    customMetrics: z.array(MetricDefSchema).max(500).default([]),
    attributes: z.array(ProfileAttributeSchema).max(100).default([]),
  })
  .superRefine((p, ctx) => {
    const ids = new Set<string>();
    for (const [i, m] of p.customMetrics.entries()) {
      if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['customMetrics', i, 'id'], message: `duplicate metric ${m.id}` });
      ids.add(m.id);
    }
  });
export type Profile = z.output<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

export const ProfilesFileSchema = z.strictObject({ version: z.string().min(1), profiles: z.array(ProfileSchema) });
