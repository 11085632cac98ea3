/**
 * One way to page every list of the API: `limit` (default 100, at most 1000 — beyond it 400,
 * never clamped) and `cursor`, the `next` of the previous page, passed back unchanged. A cursor
 * is opaque to clients: the base64url of a small JSON `{ l: list, p: position }`, where the
 * position is what that list pages by (an offset, an id, a time), validated with zod when it
 * comes back. A cursor that is not one the list gave out is a 400 naming `cursor`. The paging
 * parameters of earlier releases (`offset`, `before`) are refused with a 400 that says what
 * replaced them, rather than ignored (a client would fetch page one for ever).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HttpError } from './http-error.ts';

/** Page size: default 100, at most 1000. */
export const LIMIT = z.coerce.number().int().min(1).max(1000).default(100).describe('items per page (1–1000, default 100)');

const Envelope = z.object({ l: z.string(), p: z.unknown() }).strict();

/** The cursor of the page after the one that ended at `position`. */
export function nextCursor(list: string, position: unknown): string {
  return Buffer.from(JSON.stringify({ l: list, p: position })).toString('base64url');
}

/** The `cursor` query parameter of `list`, parsed to its position (undefined: the first page). */
export function cursorParam<P extends z.ZodType>(list: string, position: P) {
  return z
    .string()
    .max(1024)
    .describe('where the page starts: the `next` of the previous answer, unchanged (opaque); absent for the first page')
    .optional()
    .transform((raw, ctx): z.output<P> | undefined => {
      if (raw === undefined || raw === '') return undefined;
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      } catch {
        decoded = undefined;
      }
      const envelope = Envelope.safeParse(decoded);
      if (!envelope.success) {
        ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out: pass the `next` of the previous page unchanged' });
        return z.NEVER;
      }
      if (envelope.data.l !== list) {
        ctx.addIssue({ code: 'custom', message: `a cursor of the ${envelope.data.l} list, not of ${list}` });
        return z.NEVER;
      }
      const p = position.safeParse(envelope.data.p);
      if (!p.success) {
        ctx.addIssue({ code: 'custom', message: 'a damaged cursor: pass the `next` of the previous page unchanged' });
        return z.NEVER;
      }
      return p.data;
    });
}

/** `next` in a list's answer. */
export const NextSchema = z.string().nullable().describe('`cursor` of the next page; null on the last page');

/** A position that is an offset into a list sorted the same way every time. */
export const OffsetPosition = z.number().int().min(0);

/** `{ ...offsetPaging(list), …filters }`: limit and cursor of a list paged by offset. */
export function offsetPaging(list: string) {
  return { limit: LIMIT, cursor: cursorParam(list, OffsetPosition) };
}

/** One page of `all` (already filtered and sorted) from the offset in the cursor, with `next` and `total`. */
export function offsetPage<T>(list: string, all: readonly T[], q: { readonly limit: number; readonly cursor?: number | undefined }): { items: T[]; total: number; next: string | null } {
  const start = q.cursor ?? 0;
  const items = all.slice(start, start + q.limit);
  return { items, total: all.length, next: start + items.length < all.length ? nextCursor(list, start + items.length) : null };
}

/** `next` for a list paged by a key (an id, a time): the key of the last item of a full page. */
export function keyNext<T, K>(list: string, items: readonly T[], limit: number, key: (item: T) => K): string | null {
  const last = items.at(-1);
  return items.length === limit && last !== undefined ? nextCursor(list, key(last)) : null;
}

const REPLACED: Readonly<Record<string, string>> = {
  offset: 'lists page with `cursor` now: pass the `next` of the previous answer as `cursor` (offset is no longer taken)',
  before: 'lists page with `cursor` now: pass the `next` of the previous answer as `cursor` (before is no longer taken)',
};

/** Refuses `offset` / `before` on the routes whose query takes a `cursor`; install before the routes. */
export function refuseReplacedPaging(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const query = route.schema?.querystring;
    if (!(query instanceof z.ZodObject) || !('cursor' in query.shape)) return;
    const check = async (req: { query: unknown }): Promise<void> => {
      const given = req.query as Record<string, unknown> | undefined;
      for (const name of Object.keys(REPLACED)) {
        if (given?.[name] !== undefined) throw new HttpError('API_ERR_PAGING_REPLACED', `invalid query: ${name}: ${REPLACED[name]}`, { field: name });
      }
    };
    const existing = route.preValidation;
    route.preValidation = existing === undefined ? [check] : [...(Array.isArray(existing) ? existing : [existing]), check];
  });
}
