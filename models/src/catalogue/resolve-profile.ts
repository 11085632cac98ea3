/**
 * A profile's effective metric table: the domain's metrics it selects (all by default, or its
 * parent's selection), every custom metric along its `extends` chain, and the common device
 * metrics. Pure: the caller passes how to look other profiles up (built-in or stored).
 */
import { COMMON_METRICS, DOMAIN_SPECS, isDomain } from '../domains.ts';
import type { Domain, MetricSpec } from '../domains.ts';
import type { Profile } from './catalogue-schema.ts';

export interface ResolvedProfile {
  readonly id: string;
  readonly version: number;
  readonly domain: Domain;
  /** Metric id → spec; the fields a station of this profile may send (plus their statistics). */
  readonly metrics: Readonly<Record<string, MetricSpec>>;
  /** Attributes expected of its stations, own and inherited. */
  readonly attributes: Profile['attributes'];
}

export class ProfileError extends Error {
  readonly code = 'MODELS_ERR_PROFILE_INVALID';
  /** Dotted path of the offending field in the profile, e.g. `metrics.3`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'ProfileError';
    this.path = path;
  }
}

const MAX_DEPTH = 8;

/** Throws ProfileError naming the field when the profile does not fit its domain or parent. */
export function resolveProfile(profile: Profile, lookup: (id: string) => Profile | undefined): ResolvedProfile {
  if (!isDomain(profile.domain)) throw new ProfileError('domain', `unknown domain ${profile.domain}`);
  const domain = profile.domain;
  const domainMetrics = DOMAIN_SPECS[domain].metrics;
  const chain: Profile[] = [profile];
  for (let p = profile; p.extends !== undefined; ) {
    const parent = lookup(p.extends);
    if (!parent) throw new ProfileError('extends', `profile ${p.id} extends unknown profile ${p.extends}`);
    if (parent.domain !== domain) throw new ProfileError('extends', `profile ${parent.id} is of domain ${parent.domain}, not ${domain}`);
    if (chain.some((c) => c.id === parent.id) || chain.length >= MAX_DEPTH) throw new ProfileError('extends', `extends chain of ${profile.id} loops or is deeper than ${MAX_DEPTH}`);
    chain.push(parent);
    p = parent;
  }
  const custom: Record<string, MetricSpec> = {};
  for (const p of [...chain].reverse()) {
    for (const [i, m] of p.customMetrics.entries()) {
      if (Object.hasOwn(domainMetrics, m.id) || Object.hasOwn(COMMON_METRICS, m.id)) {
        throw new ProfileError(`customMetrics.${i}.id`, `${m.id} is already a metric of domain ${domain}: select it in metrics instead`);
      }
      custom[m.id] = m;
    }
  }
  const selection = chain.find((p) => p.metrics !== undefined)?.metrics;
  const metrics: Record<string, MetricSpec> = {};
  if (selection === undefined) Object.assign(metrics, domainMetrics);
  else {
    for (const [i, id] of selection.entries()) {
      if (Object.hasOwn(domainMetrics, id)) metrics[id] = domainMetrics[id]!;
      else if (!Object.hasOwn(custom, id)) throw new ProfileError(`metrics.${i}`, `${id} is not a metric of domain ${domain} nor a custom metric of the profile`);
    }
  }
  Object.assign(metrics, custom, COMMON_METRICS);
  const attributes = new Map<string, Profile['attributes'][number]>();
  for (const p of [...chain].reverse()) for (const a of p.attributes) attributes.set(a.key, a);
  return { id: profile.id, version: profile.version, domain, metrics, attributes: [...attributes.values()] };
}

/** Required attributes a station of the profile lacks. */
export function missingProfileAttributes(profile: ResolvedProfile, attributes: Readonly<Record<string, unknown>> | undefined): string[] {
  return profile.attributes.filter((a) => a.required && (attributes === undefined || attributes[a.key] === undefined)).map((a) => a.key);
}
