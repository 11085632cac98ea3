/**
 * /api/v1/dead-letters: what was refused, with the device, the raw payload (base64, and as
 * text when it is UTF-8) and the exact reason; newest first, filtered by device or department, paged with `before`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseOr400 } from './http-error.ts';
import type { ApiDeps } from './build-api.ts';
import { scopeFilter } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { payloadText } from '@shanshui/models';
import { DeadLetterSchema } from './response-schemas.ts';

const Query = z.object({
  device: z.string().max(64).optional(),
  /** Only dead letters of this department's stations. */
  department: z.string().max(32).optional(),
  /** Page: dead letters with an id below this. */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const DOC = {
  tag: 'dead-letters',
  summary: 'Refused messages with the device, the raw payload (base64, and as text when UTF-8) and the exact reason, newest first',
  query: Query,
  responses: { 200: z.object({ items: z.array(DeadLetterSchema), total: z.number().int(), next: z.string().nullable().describe('query string of the next page') }) },
} satisfies RouteDoc;

/** The payload as text too, when it is UTF-8: JSON and plain text read as sent. */
function withText<T extends { payload: string }>(d: T): T & { payloadText: string | null } {
  return { ...d, payloadText: payloadText(Buffer.from(d.payload, 'base64')) ?? null };
}

export function deadLetterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/dead-letters', { config: { permission: 'dead-letters:read', doc: DOC } }, async (req) => {
    const q = parseOr400(Query, req.query, 'query');
    const scope = scopeFilter(req);
    const departments = q.department === undefined ? scope : scope && !scope.includes(q.department) ? [] : [q.department];
    const items = await deps.store.deadLetters.list({ ...(q.device ? { deviceId: q.device } : {}), ...(q.before ? { beforeId: q.before } : {}), ...(departments ? { departments } : {}), limit: q.limit });
    const last = items.at(-1);
    return { items: items.map(withText), total: await deps.store.deadLetters.count(departments), next: items.length === q.limit && last ? `?before=${last.id}` : null };
  });
}
