/**
 * /api/v1/dead-letters: what was refused, with the device, the raw payload (base64, and as
 * text when it is UTF-8) and the exact reason; newest first, filtered by device or department,
 * paged by `cursor`.
 */
import type { ApiPlugin } from './api-plugin.ts';
import { z } from 'zod';
import { payloadText } from '@shanshui/models';
import type { DeadLetterStore } from '../state/dead-letter-store.ts';
import { scopeFilter } from './request-auth.ts';
import { DeadLetterSchema } from './response-schemas.ts';
import { LIMIT, NextSchema, cursorParam, keyNext } from './paging.ts';

const LIST = 'dead-letters';
const Query = z
  .object({
    device: z.string().max(64).optional(),
    /** Only dead letters of this department's stations. */
    department: z.string().max(32).optional(),
    /** Dead letters older than the last of the previous page (by id). */
    cursor: cursorParam(LIST, z.number().int().positive()),
    limit: LIMIT,
  })
  .strict();

/** The payload as text too, when it is UTF-8: JSON and plain text read as sent. */
function withText<T extends { payload: string }>(d: T): T & { payloadText: string | null } {
  return { ...d, payloadText: payloadText(Buffer.from(d.payload, 'base64')) ?? null };
}

export interface DeadLetterRouteOptions {
  readonly deadLetters: DeadLetterStore;
}

export const deadLetterRoutes: ApiPlugin<DeadLetterRouteOptions> = async (app, { deadLetters }) => {
  app.get(
    '/api/v1/dead-letters',
    {
      config: { permission: 'dead-letters:read' },
      schema: {
        tags: ['dead-letters'],
        summary: 'Refused messages with the device, the raw payload (base64, and as text when UTF-8) and the exact reason, newest first',
        querystring: Query,
        response: { 200: z.object({ items: z.array(DeadLetterSchema), total: z.number().int(), next: NextSchema }) },
      },
    },
    async (req) => {
      const q = req.query;
      const scope = scopeFilter(req);
      const departments = q.department === undefined ? scope : scope && !scope.includes(q.department) ? [] : [q.department];
      const items = await deadLetters.list({ ...(q.device ? { deviceId: q.device } : {}), ...(q.cursor ? { beforeId: q.cursor } : {}), ...(departments ? { departments } : {}), limit: q.limit });
      return { items: items.map(withText), total: await deadLetters.count(departments), next: keyNext(LIST, items, q.limit, (d) => d.id) };
    },
  );
};
