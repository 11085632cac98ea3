/**
 * GET /api/v1/audit?limit=&before=&actor=&target= — the audit log, newest first. Every role may
 * read it, scoped: a department token sees entries about its own departments only; entries
 * about global things (tokens with scope '*', global rules) only '*' tokens see.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log.ts';
import { parseOr400 } from './http-error.ts';
import { scopeFilter } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { AuditEntrySchema } from './response-schemas.ts';

const Query = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Page: entries with an id below this (the `next` of the previous page). */
    before: z.coerce.number().int().positive().optional(),
    /** Token id or name ('admin' for the bootstrap admin token). */
    actor: z.string().min(1).max(100).optional(),
    target: z.string().min(1).max(100).optional(),
  })
  .strict();

const DOC = {
  tag: 'audit',
  summary: "The audit log, newest first, inside the caller's scope (page with `before` = the previous page's `next`)",
  query: Query,
  responses: { 200: z.object({ items: z.array(AuditEntrySchema), next: z.number().int().nullable() }) },
} satisfies RouteDoc;

export function auditRoutes(audit: AuditLog): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/api/v1/audit', { config: { permission: 'audit:read', doc: DOC } }, async (req) => {
      const q = parseOr400(Query, req.query, 'query');
      const departments = scopeFilter(req);
      const items = await audit.list({
        limit: q.limit,
        ...(q.before ? { beforeId: q.before } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.target ? { target: q.target } : {}),
        ...(departments ? { departments } : {}),
      });
      const last = items.at(-1);
      return { items, next: items.length === q.limit && last ? last.id : null };
    });
  };
}
