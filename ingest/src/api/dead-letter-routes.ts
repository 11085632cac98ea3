/** /api/v1/dead-letters: what was refused, with the device, the raw payload (base64) and the exact reason. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseOr400 } from './http-error.ts';
import type { ApiDeps } from './build-api.ts';
import { scopeFilter } from './request-auth.ts';

const Query = z.object({
  device: z.string().max(64).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function deadLetterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/dead-letters', { config: { permission: 'dead-letters:read' } }, async (req) => {
    const q = parseOr400(Query, req.query, 'query');
    const departments = scopeFilter(req);
    const items = deps.store.listDeadLetters({ ...(q.device ? { deviceId: q.device } : {}), ...(q.before ? { beforeId: q.before } : {}), ...(departments ? { departments } : {}), limit: q.limit });
    const last = items.at(-1);
    return { items, total: deps.store.countDeadLetters(departments), next: items.length === q.limit && last ? `?before=${last.id}` : null };
  });
}
