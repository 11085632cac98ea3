/** Request parts every route group shares: a path `:id`, and the page of a list (default 100, at most 1000 — beyond it 400, never clamped). */
import { z } from 'zod';

export const IdParams = z.object({ id: z.string().min(1).max(64) });

/** Spread into a list's query object: `{ ...PAGE_FIELDS, …filters }`. */
export const PAGE_FIELDS = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};
