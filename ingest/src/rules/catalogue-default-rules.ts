/**
 * Default warning rules of the catalogue's domains, read from models' data file
 * (catalogue/data/default-rules.json) and validated by the rule schema at import: a rule the
 * engine would refuse fails the platform's start, naming it. Unlike DEFAULT_RULES (seeded once
 * into a new database), each of these is seeded once per id — so a database made before a
 * domain existed gets that domain's rules, and a default a department deleted stays deleted.
 */
import { CATALOGUE_DEFAULT_RULE_DEFINITIONS } from '@shanshui/models';
import { RuleInputSchema } from './rule-schema.ts';
import type { RuleInput } from './rule-schema.ts';

export const CATALOGUE_DEFAULT_RULES: readonly RuleInput[] = CATALOGUE_DEFAULT_RULE_DEFINITIONS.map((r, i) => {
  const parsed = RuleInputSchema.safeParse(r);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`default-rules.json rules.${i} (${String((r as { id?: unknown }).id)}): ${issue.path.join('.')}: ${issue.message}`);
  }
  return r as RuleInput;
});
