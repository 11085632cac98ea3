/**
 * /api/v1/rules: rules are data — list, show (with the audit trail), create, replace, delete.
 * Bad definitions are refused with 400 naming the field and the reason. The acting user is
 * the token's name (the bootstrap admin may name a person with `X-Shanshui-Actor`).
 * Department scope: rule-scope.ts (global rules readable by all, changed only by '*').
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DOMAINS } from '@shanshui/models';
import { HttpError } from './http-error.ts';
import { RuleInputSchema } from '../rules/rule-schema.ts';
import { toRule } from '../rules/rule-store.ts';
import type { RuleStore } from '../rules/rule-store.ts';
import type { RuleEngine } from '../rules/rule-engine.ts';
import type { AlertLifecycle } from '../alerts/alert-lifecycle.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { actorOf, addAuditNote } from './request-auth.ts';
import { requireRuleWritable, ruleVisible } from './rule-scope.ts';
import { RuleAuditEntrySchema, RuleSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { NextSchema, offsetPage, offsetPaging } from './paging.ts';

const LIST = 'rules';
const ListQuery = z
  .object({
    domain: z.enum(DOMAINS).optional(),
    kind: z.string().max(32).optional(),
    /** Rules scoped to this department (global rules are listed too: they apply to it). */
    department: z.string().max(32).optional(),
    ...offsetPaging(LIST),
  })
  .strict();

const NOT_FOUND = { 404: 'No such rule in scope (API_ERR_NOT_FOUND)' };
const ONE = z.object({ rule: RuleSchema }).strict();

export interface RuleRouteOptions {
  readonly rules: RuleStore;
  readonly engine: Pick<RuleEngine, 'reload' | 'forgetRule'>;
  /** Resolves the open alerts of a rule disabled or deleted. */
  readonly lifecycle: Pick<AlertLifecycle, 'resolveRule'>;
  readonly logger: Logger;
  readonly now: () => number;
}

function actor(req: FastifyRequest): string {
  return actorOf(req);
}

export const ruleRoutes: ApiPlugin<RuleRouteOptions> = async (app, w) => {
  const checkReplaces = async (replaces: string | undefined, id: string, req: FastifyRequest): Promise<void> => {
    if (replaces === undefined) return;
    if (replaces === id) throw new HttpError('API_ERR_VALIDATION', 'invalid rule: replaces: a rule cannot replace itself');
    const replaced = await w.rules.get(replaces);
    if (!replaced || !ruleVisible(req, replaced)) throw new HttpError('API_ERR_VALIDATION', `invalid rule: replaces: no rule ${replaces}`);
  };

  app.get(
    '/api/v1/rules',
    {
      config: { permission: 'rules:read' },
      schema: { tags: ['rules'], summary: 'Rules in scope (global ones included), filtered by domain, kind and department', querystring: ListQuery, response: { 200: z.object({ items: z.array(RuleSchema), total: z.number().int(), next: NextSchema }).strict() } },
    },
    async (req) => {
      const q = req.query;
      const items = (await w.rules.all()).filter(
          (r) =>
            (q.domain === undefined || r.scope.domain === undefined || r.scope.domain === q.domain) &&
            (q.kind === undefined || r.kind === q.kind) &&
            (q.department === undefined || r.scope.department === undefined || r.scope.department === q.department) &&
            ruleVisible(req, r),
        );
      return offsetPage(LIST, items, q);
    },
  );

  app.get(
    '/api/v1/rules/:id',
    { config: { permission: 'rules:read', errors: NOT_FOUND }, schema: { tags: ['rules'], summary: 'One rule with its audit trail', params: IdParams, response: { 200: z.object({ rule: RuleSchema, audit: z.array(RuleAuditEntrySchema) }).strict() } } },
    async (req) => {
      const { id } = req.params;
      const rule = await w.rules.get(id);
      if (!rule || !ruleVisible(req, rule)) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
      return { rule, audit: await w.rules.audit(id) };
    },
  );

  app.post(
    '/api/v1/rules',
    {
      config: { permission: 'rules:write', errors: { 409: 'A rule with this id exists (API_ERR_EXISTS)' } },
      schema: { tags: ['rules'], summary: 'Create a rule (threshold, rate of change, anomaly, trend, data quality, stale, classification)', body: RuleInputSchema, response: { 201: ONE } },
    },
    async (req, reply) => {
      const input = req.body;
      const rule = toRule(input);
      requireRuleWritable(req, rule);
      await checkReplaces(rule.replaces, rule.id, req);
      if (!(await w.rules.save(rule, 'create', actor(req)))) throw new HttpError('API_ERR_EXISTS', `rule ${rule.id} already exists`);
      await w.engine.reload();
      w.logger.info({ ruleId: rule.id, by: actor(req) }, 'rule created');
      addAuditNote(req, { target: rule.id });
      return reply.code(201).send({ rule });
    },
  );

  app.put(
    '/api/v1/rules/:id',
    { config: { permission: 'rules:write', errors: NOT_FOUND }, schema: { tags: ['rules'], summary: 'Replace a rule', params: IdParams, body: RuleInputSchema, response: { 200: ONE } } },
    async (req) => {
      const { id } = req.params;
      const input = req.body;
      if (input.id !== undefined && input.id !== id) throw new HttpError('API_ERR_VALIDATION', `invalid rule: id: ${input.id} does not match the path (${id})`);
      const rule = toRule(input, id);
      const existing = await w.rules.get(id);
      if (!existing || !ruleVisible(req, existing)) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
      requireRuleWritable(req, existing);
      requireRuleWritable(req, rule);
      await checkReplaces(rule.replaces, id, req);
      if (!(await w.rules.save(rule, 'update', actor(req)))) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
      await w.engine.reload(id);
      if (!rule.enabled) await w.lifecycle.resolveRule(id, '规则已停用', w.now());
      w.logger.info({ ruleId: id, by: actor(req) }, 'rule changed');
      return { rule };
    },
  );

  app.delete(
    '/api/v1/rules/:id',
    { config: { permission: 'rules:write', errors: NOT_FOUND }, schema: { tags: ['rules'], summary: 'Delete a rule (its open alerts resolve)', params: IdParams, response: { 204: z.null() } } },
    async (req, reply) => {
      const { id } = req.params;
      const existing = await w.rules.get(id);
      if (!existing || !ruleVisible(req, existing)) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
      requireRuleWritable(req, existing);
      if (!(await w.rules.remove(id, actor(req)))) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
      w.engine.forgetRule(id);
      await w.engine.reload();
      await w.lifecycle.resolveRule(id, '规则已删除', w.now());
      w.logger.info({ ruleId: id, by: actor(req) }, 'rule deleted');
      return reply.code(204).send(null);
    },
  );
};
