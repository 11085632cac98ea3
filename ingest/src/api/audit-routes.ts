/**
 * GET /api/v1/audit?limit=&cursor=&actor=&target= — the audit log, newest first. Every role may
 * read it, scoped: a department token sees entries about its own departments only; entries
 * about global things (tokens with scope '*', global rules) only '*' tokens see.
 */
import type { ApiPlugin } from './api-plugin.ts';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log.ts';
import { scopeFilter } from './request-auth.ts';
import { AuditEntrySchema } from './response-schemas.ts';
import { LIMIT, NextSchema, cursorParam, keyNext } from './paging.ts';

const LIST = 'audit';
const Query = z
  .object({
    limit: LIMIT,
    /** Entries older than the last of the previous page (by id). */
    cursor: cursorParam(LIST, z.number().int().positive()),
    /** Token id or name ('admin' for the bootstrap admin token). */
    actor: z.string().min(1).max(100).optional(),
    target: z.string().min(1).max(100).optional(),
  })
  .strict();

export interface AuditRouteOptions {
  readonly audit: AuditLog;
}

export const auditRoutes: ApiPlugin<AuditRouteOptions> = async (app, { audit }) => {
  app.get(
    '/api/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: "The audit log, newest first, inside the caller's scope (next page: `cursor` = the answer's `next`)",
        querystring: Query,
        response: { 200: z.object({ items: z.array(AuditEntrySchema), next: NextSchema }) },
      },
    },
    async (req) => {
      const q = req.query;
      const departments = scopeFilter(req);
      const items = await audit.list({
        limit: q.limit,
        ...(q.cursor ? { beforeId: q.cursor } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.target ? { target: q.target } : {}),
        ...(departments ? { departments } : {}),
      });
      return { items, next: keyNext(LIST, items, q.limit, (e) => e.id) };
    },
  );
};
