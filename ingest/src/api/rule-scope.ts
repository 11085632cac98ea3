/**
 * Department scope of rules: a rule belongs to its `scope.department`; one naming no
 * department is global — readable by every token (it applies to every department's
 * stations, so each must see it), changed only by '*' tokens (the emergency centre).
 */
import type { FastifyRequest } from 'fastify';
import { inScope, principalOf, requireScope } from './request-auth.ts';

interface Scoped {
  readonly scope: { readonly department?: string | undefined };
}

export function ruleVisible(req: FastifyRequest, rule: Scoped): boolean {
  principalOf(req); // a caller without a token sees nothing, global rules included
  return rule.scope.department === undefined || inScope(req, rule.scope.department);
}

/** 403 with the reason unless the caller may create or change a rule with this scope. */
export function requireRuleWritable(req: FastifyRequest, rule: Scoped): void {
  requireScope(req, rule.scope.department, 'a rule');
}
