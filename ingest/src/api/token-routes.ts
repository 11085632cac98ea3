/**
 * /api/v1/tokens: API tokens with a role and a department scope (admin only).
 *   POST   {name, role, departments: [..] | '*', ttlSec?} → 201, the `ssk_` secret shown once
 *   GET    ?limit=&cursor= → tokens inside the caller's scope, never a secret or hash
 *   DELETE /{id} → 204, revoked at once (kept listed for the audit log's names)
 * A department-scoped admin can issue and revoke tokens only inside its own departments.
 */
import type { ApiPlugin } from './api-plugin.ts';
import { z } from 'zod';
import { ROLES } from '../auth/permissions.ts';
import { DEPARTMENT_PATTERN } from '../auth/principal.ts';
import type { ApiTokenStore } from '../auth/api-token-store.ts';
import { HttpError } from './http-error.ts';
import { actorOf, addAuditNote, inScope, requireScope } from './request-auth.ts';
import { ApiTokenSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { NextSchema, offsetPage, offsetPaging } from './paging.ts';

const LIST = 'tokens';
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
const ListQuery = z.object({ ...offsetPaging(LIST) }).strict();

export interface TokenRouteOptions {
  readonly tokens: ApiTokenStore;
}

const deptsOf = (d: '*' | readonly string[]): readonly string[] | undefined => (d === '*' ? undefined : d);

export const tokenRoutes: ApiPlugin<TokenRouteOptions> = async (app, { tokens }) => {
  app.post(
    '/api/v1/tokens',
    {
      config: { permission: 'tokens:manage' },
      schema: {
        tags: ['tokens'],
        summary: 'Issue an API token with a role and a department scope (the secret is shown once)',
        body: TokenBody,
        response: { 201: ApiTokenSchema.extend({ token: z.string().describe('the `ssk_` secret, shown only in this answer'), note: z.string() }) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      requireScope(req, deptsOf(body.departments), 'a token');
      const { token, secret } = await tokens.create({ ...body, departments: body.departments === '*' ? '*' : [...new Set(body.departments)], createdBy: actorOf(req) });
      addAuditNote(req, { target: token.id, summary: { name: token.name, role: token.role, departments: token.departments, expiresAt: token.expiresAt } });
      req.log.info({ tokenId: token.id, role: token.role, departments: token.departments }, 'API token created');
      return reply.code(201).send({ ...token, token: secret, note: 'The token is shown only now; the platform keeps only its hash. 令牌仅显示一次。' });
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { permission: 'tokens:manage' },
      schema: { tags: ['tokens'], summary: "API tokens inside the caller's scope (never a secret or hash)", querystring: ListQuery, response: { 200: z.object({ items: z.array(ApiTokenSchema), total: z.number().int(), next: NextSchema }) } },
    },
    async (req) => {
      const visible = (await tokens.list()).filter((t) => inScope(req, deptsOf(t.departments)));
      return offsetPage(LIST, visible, req.query);
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { permission: 'tokens:manage', errors: { 404: 'No such token in scope (API_ERR_NOT_FOUND)' } },
      schema: { tags: ['tokens'], summary: 'Revoke an API token at once', params: IdParams, response: { 204: z.null() } },
    },
    async (req, reply) => {
      const { id } = req.params;
      const token = await tokens.get(id);
      if (!token || !inScope(req, deptsOf(token.departments))) throw new HttpError('API_ERR_NOT_FOUND', `no token ${id}`);
      await tokens.revoke(id, actorOf(req));
      addAuditNote(req, { summary: { name: token.name, role: token.role, revoked: true } });
      req.log.info({ tokenId: id }, 'API token revoked');
      return reply.code(204).send(null);
    },
  );
};
