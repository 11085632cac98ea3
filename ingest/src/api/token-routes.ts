/**
 * /api/v1/tokens: API tokens with a role and a department scope (admin only).
 *   POST   {name, role, departments: [..] | '*', ttlSec?} → 201, the `ssk_` secret shown once
 *   GET    ?limit=&offset= → tokens inside the caller's scope, never a secret or hash
 *   DELETE /{id} → 204, revoked at once (kept listed for the audit log's names)
 * A department-scoped admin can issue and revoke tokens only inside its own departments.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../auth/permissions.ts';
import { DEPARTMENT_PATTERN } from '../auth/principal.ts';
import type { ApiTokenStore } from '../auth/api-token-store.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { actorOf, addAuditNote, inScope, requireScope } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { ApiTokenSchema, pageOf } from './response-schemas.ts';
import { IdParams, PAGE_FIELDS } from './common-schemas.ts';

const TokenBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    /** '*' = every department (the emergency centre, 应急管理局). */
    departments: z.union([z.literal('*'), z.array(z.string().regex(DEPARTMENT_PATTERN, 'lowercase department code')).min(1).max(100)]),
    /** Lifetime in seconds. Default 90 days, at most 366 days. */
    ttlSec: z.number().int().min(1).max(366 * 86_400).default(90 * 86_400),
  })
  .strict();
const ListQuery = z
  .object({
    ...PAGE_FIELDS,
  })
  .strict();

const DOCS = {
  create: {
    tag: 'tokens',
    summary: 'Issue an API token with a role and a department scope (the secret is shown once)',
    body: TokenBody,
    responses: { 201: ApiTokenSchema.extend({ token: z.string().describe('the `ssk_` secret, shown only in this answer'), note: z.string() }) },
  },
  list: { tag: 'tokens', summary: "API tokens inside the caller's scope (never a secret or hash)", query: ListQuery, responses: { 200: pageOf(ApiTokenSchema) } },
  revoke: { tag: 'tokens', summary: 'Revoke an API token at once', params: IdParams, responses: { 204: null }, errors: { 404: 'No such token in scope (API_ERR_NOT_FOUND)' } },
} satisfies Record<string, RouteDoc>;

export function tokenRoutes(tokens: ApiTokenStore): (app: FastifyInstance) => void {
  const deptsOf = (d: '*' | readonly string[]): readonly string[] | undefined => (d === '*' ? undefined : d);
  return (app) => {
    app.post('/api/v1/tokens', { config: { permission: 'tokens:manage', doc: DOCS.create } }, async (req, reply) => {
      const body = parseOr400(TokenBody, req.body, 'token');
      requireScope(req, deptsOf(body.departments), 'a token');
      const { token, secret } = await tokens.create({ ...body, departments: body.departments === '*' ? '*' : [...new Set(body.departments)], createdBy: actorOf(req) });
      addAuditNote(req, { target: token.id, summary: { name: token.name, role: token.role, departments: token.departments, expiresAt: token.expiresAt } });
      req.log.info({ tokenId: token.id, role: token.role, departments: token.departments }, 'API token created');
      return reply.code(201).send({ ...token, token: secret, note: 'The token is shown only now; the platform keeps only its hash. 令牌仅显示一次。' });
    });

    app.get('/api/v1/tokens', { config: { permission: 'tokens:manage', doc: DOCS.list } }, async (req) => {
      const q = parseOr400(ListQuery, req.query, 'query');
      const visible = (await tokens.list()).filter((t) => inScope(req, deptsOf(t.departments)));
      return { items: visible.slice(q.offset, q.offset + q.limit), total: visible.length };
    });

    app.delete('/api/v1/tokens/:id', { config: { permission: 'tokens:manage', doc: DOCS.revoke } }, async (req, reply) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const token = await tokens.get(id);
      if (!token || !inScope(req, deptsOf(token.departments))) throw new HttpError('API_ERR_NOT_FOUND', `no token ${id}`);
      await tokens.revoke(id, actorOf(req));
      addAuditNote(req, { summary: { name: token.name, role: token.role, revoked: true } });
      req.log.info({ tokenId: id }, 'API token revoked');
      return reply.code(204).send();
    });
  };
}
