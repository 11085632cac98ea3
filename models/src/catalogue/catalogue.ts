/**
 * The shipped sensor catalogue: domains with their metrics (./data/domains.json), the HJ 212
 * code tables (./data/hj212-codes.json) and the built-in station profiles
 * (./data/profiles.json). JSON modules, validated by zod at import: a broken data file fails
 * loudly with the path of the bad entry. docs/catalogue.md describes the format.
 */
import * as z from 'zod';
import domainsData from './data/domains.json' with { type: 'json' };
import profilesData from './data/profiles.json' with { type: 'json' };
import defaultRulesData from './data/default-rules.json' with { type: 'json' };
import { CatalogueSchema, ProfilesFileSchema } from './catalogue-schema.ts';
import type { Catalogue, Profile } from './catalogue-schema.ts';

function load<T extends z.ZodType>(schema: T, data: unknown, file: string): z.output<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`MODELS_ERR_CATALOGUE_INVALID: ${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export const CATALOGUE: Catalogue = load(CatalogueSchema, domainsData, 'models/src/catalogue/data/domains.json');

const profilesFile = load(ProfilesFileSchema, profilesData, 'models/src/catalogue/data/profiles.json');

/** Built-in profiles, by id. One per domain carries the domain's id (its default profile). */
export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map(profilesFile.profiles.map((p) => [p.id, p]));
export const PROFILES_VERSION = profilesFile.version;

/**
 * Default warning rules of the catalogue's domains as data (./data/default-rules.json). Their
 * schema is the rule engine's, so ingest validates them (ingest/src/rules/catalogue-default-rules.ts).
 */
export const CATALOGUE_DEFAULT_RULE_DEFINITIONS: readonly unknown[] = load(
  z.strictObject({ version: z.string(), note: z.string(), rules: z.array(z.object({ id: z.string() }).loose()) }),
  defaultRulesData,
  'models/src/catalogue/data/default-rules.json',
).rules;
