/** /api/v1/alerts: list and filter (active, history, department/domain/region/level), show with its events, acknowledge. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, plainTextSchema } from '@shanshui/models';
import { HttpError, parseOr400 } from './http-error.ts';
import { AlertError } from '../alerts/alert-lifecycle.ts';
import type { WarningsContext } from '../alerts/start-warnings.ts';
import { actorOf, inScope, scopeFilter } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { AlertEventSchema, AlertSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';

const ListQuery = z
  .object({
    state: z.enum(['active', 'all', 'firing', 'acknowledged', 'resolved']).default('active'),
    department: z.string().max(32).optional(),
    domain: z.enum(DOMAINS).optional(),
    region: z.string().regex(/^\d{2,12}$/, '2–12 digit region code prefix').optional(),
    level: z.enum(WARNING_LEVELS).optional(),
    station: z.string().max(64).optional(),
    rule: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Page: alerts opened before this ISO time (the `next` of the previous page). */
    before: z.iso.datetime().optional(),
  })
  .strict();
/** `by`: the person on duty, shown beside the token's own name (which cannot be claimed). */
const AckBody = z.object({ by: z.string().trim().min(1, 'who acknowledges').max(100).regex(/^\P{Cc}*$/u, 'control characters are not allowed').optional(), note: plainTextSchema(1000).optional() }).strict();

const NOT_FOUND = { 404: 'No such alert in scope (API_ERR_NOT_FOUND)' };
const DOCS = {
  list: {
    tag: 'alerts',
    summary: 'Alerts in scope, newest first: active (default), history or one state; filtered by department, domain, region prefix, level, station, rule',
    query: ListQuery,
    responses: { 200: z.object({ items: z.array(AlertSchema), total: z.number().int(), next: z.string().nullable().describe('`before` of the next page') }).strict() },
  },
  show: { tag: 'alerts', summary: 'One alert with its events (firing, escalated, acknowledged, resolved)', params: IdParams, responses: { 200: z.object({ alert: AlertSchema, events: z.array(AlertEventSchema) }).strict() }, errors: NOT_FOUND },
  ack: {
    tag: 'alerts',
    summary: 'Acknowledge an alert (确认)',
    params: IdParams,
    body: AckBody,
    responses: { 200: z.object({ alert: AlertSchema }).strict() },
    errors: { ...NOT_FOUND, 409: 'The alert cannot be acknowledged in its state (API_ERR_ALERT_STATE)' },
  },
} satisfies Record<string, RouteDoc>;

export function alertRoutes(app: FastifyInstance, w: WarningsContext): void {
  app.get('/api/v1/alerts', { config: { permission: 'alerts:read', doc: DOCS.list } }, async (req) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const { before, ...filter } = q;
    const departments = scopeFilter(req);
    const page = await w.alerts.list({ ...filter, ...(before ? { beforeOpenedAt: before } : {}), ...(departments ? { departments } : {}) });
    const last = page.items.at(-1);
    return { ...page, next: page.items.length === q.limit && last ? last.openedAt : null };
  });

  app.get('/api/v1/alerts/:id', { config: { permission: 'alerts:read', doc: DOCS.show } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const alert = await w.alerts.get(id);
    if (!alert || !inScope(req, alert.department)) throw new HttpError('API_ERR_NOT_FOUND', `no alert ${id}`);
    return { alert, events: await w.alerts.events(id) };
  });

  app.post('/api/v1/alerts/:id/ack', { config: { permission: 'alerts:ack', doc: DOCS.ack } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const body = parseOr400(AckBody, req.body ?? {}, 'acknowledgement');
    const found = await w.alerts.get(id);
    if (!found || !inScope(req, found.department)) throw new HttpError('API_ERR_NOT_FOUND', `no alert ${id}`);
    try {
      const actor = actorOf(req);
      const by = body.by && body.by !== actor ? `${actor}（${body.by}）` : actor;
      return { alert: await w.lifecycle.acknowledge(id, by, body.note, w.now()) };
    } catch (err) {
      if (err instanceof AlertError) throw new HttpError(err.code === 'ALERT_ERR_NOT_FOUND' ? 'API_ERR_NOT_FOUND' : 'API_ERR_ALERT_STATE', err.message, { cause: err });
      throw err;
    }
  });
}
