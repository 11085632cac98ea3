/**
 * /api/v1/rules: rules are data — list, show (with the audit trail), create, replace, delete.
 * Bad definitions are refused with 400 naming the field and the reason. The acting user is
 * the token's name (the bootstrap admin may name a person with `X-Shanshui-Actor`).
 * Department scope: rule-scope.ts (global rules readable by all, changed only by '*').
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DOMAINS } from '@shanshui/models';
import { HttpError, parseOr400 } from './http-error.ts';
import { RuleInputSchema } from '../rules/rule-schema.ts';
import { toRule } from '../rules/rule-store.ts';
import type { WarningsContext } from '../alerts/start-warnings.ts';
import { actorOf, addAuditNote } from './request-auth.ts';
import { requireRuleWritable, ruleVisible } from './rule-scope.ts';
import type { RouteDoc } from './route-doc.ts';
import { RuleAuditEntrySchema, RuleSchema } from './response-schemas.ts';
import { IdParams, PAGE_FIELDS } from './common-schemas.ts';

const ListQuery = z
  .object({
    domain: z.enum(DOMAINS).optional(),
    kind: z.string().max(32).optional(),
    /** Rules scoped to this department (global rules are listed too: they apply to it). */
    department: z.string().max(32).optional(),
    ...PAGE_FIELDS,
  })
  .strict();

const NOT_FOUND = { 404: 'No such rule in scope (API_ERR_NOT_FOUND)' };
const DOCS = {
  list: { tag: 'rules', summary: 'Rules in scope (global ones included), filtered by domain, kind and department', query: ListQuery, responses: { 200: z.object({ items: z.array(RuleSchema), total: z.number().int() }).strict() } },
  show: { tag: 'rules', summary: 'One rule with its audit trail', params: IdParams, responses: { 200: z.object({ rule: RuleSchema, audit: z.array(RuleAuditEntrySchema) }).strict() }, errors: NOT_FOUND },
  create: { tag: 'rules', summary: 'Create a rule (threshold, rate of change, anomaly, trend, data quality, stale, classification)', body: RuleInputSchema, responses: { 201: z.object({ rule: RuleSchema }).strict() }, errors: { 409: 'A rule with this id exists (API_ERR_EXISTS)' } },
  replace: { tag: 'rules', summary: 'Replace a rule', params: IdParams, body: RuleInputSchema, responses: { 200: z.object({ rule: RuleSchema }).strict() }, errors: NOT_FOUND },
  remove: { tag: 'rules', summary: 'Delete a rule (its open alerts resolve)', params: IdParams, responses: { 204: null }, errors: NOT_FOUND },
} satisfies Record<string, RouteDoc>;

function actor(req: FastifyRequest): string {
  return actorOf(req);
}

export function ruleRoutes(app: FastifyInstance, w: WarningsContext): void {
  const checkReplaces = async (replaces: string | undefined, id: string, req: FastifyRequest): Promise<void> => {
    if (replaces === undefined) return;
    if (replaces === id) throw new HttpError('API_ERR_VALIDATION', 'invalid rule: replaces: a rule cannot replace itself');
    const replaced = await w.rules.get(replaces);
    if (!replaced || !ruleVisible(req, replaced)) throw new HttpError('API_ERR_VALIDATION', `invalid rule: replaces: no rule ${replaces}`);
  };

  app.get('/api/v1/rules', { config: { permission: 'rules:read', doc: DOCS.list } }, async (req) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const items = (await w.rules.all()).filter(
        (r) =>
          (q.domain === undefined || r.scope.domain === undefined || r.scope.domain === q.domain) &&
          (q.kind === undefined || r.kind === q.kind) &&
          (q.department === undefined || r.scope.department === undefined || r.scope.department === q.department) &&
          ruleVisible(req, r),
      );
    return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
  });

  app.get('/api/v1/rules/:id', { config: { permission: 'rules:read', doc: DOCS.show } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const rule = await w.rules.get(id);
    if (!rule || !ruleVisible(req, rule)) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
    return { rule, audit: await w.rules.audit(id) };
  });

  app.post('/api/v1/rules', { config: { permission: 'rules:write', doc: DOCS.create } }, async (req, reply) => {
    const input = parseOr400(RuleInputSchema, req.body, 'rule');
    const rule = toRule(input);
    requireRuleWritable(req, rule);
    await checkReplaces(rule.replaces, rule.id, req);
    if (!(await w.rules.save(rule, 'create', actor(req)))) throw new HttpError('API_ERR_EXISTS', `rule ${rule.id} already exists`);
    await w.engine.reload();
    w.logger.info({ ruleId: rule.id, by: actor(req) }, 'rule created');
    addAuditNote(req, { target: rule.id });
    return reply.code(201).send({ rule });
  });

  app.put('/api/v1/rules/:id', { config: { permission: 'rules:write', doc: DOCS.replace } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const input = parseOr400(RuleInputSchema, req.body, 'rule');
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
  });

  app.delete('/api/v1/rules/:id', { config: { permission: 'rules:write', doc: DOCS.remove } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const existing = await w.rules.get(id);
    if (!existing || !ruleVisible(req, existing)) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
    requireRuleWritable(req, existing);
    if (!(await w.rules.remove(id, actor(req)))) throw new HttpError('API_ERR_NOT_FOUND', `no rule ${id}`);
    w.engine.forgetRule(id);
    await w.engine.reload();
    await w.lifecycle.resolveRule(id, '规则已删除', w.now());
    w.logger.info({ ruleId: id, by: actor(req) }, 'rule deleted');
    return reply.code(204).send();
  });
}
