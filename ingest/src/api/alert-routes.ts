/** /api/v1/alerts: list and filter (active, history, department/domain/region/level), show with its events, acknowledge. */
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS, plainTextSchema } from '@shanshui/models';
import { HttpError } from './http-error.ts';
import { AlertError } from '../alerts/alert-lifecycle.ts';
import type { AlertLifecycle } from '../alerts/alert-lifecycle.ts';
import type { AlertStore } from '../alerts/alert-store.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { actorOf, inScope, scopeFilter } from './request-auth.ts';
import { AlertEventSchema, AlertSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { LIMIT, NextSchema, cursorParam, keyNext } from './paging.ts';

const LIST = 'alerts';
const ListQuery = z
  .object({
    state: z.enum(['active', 'all', 'firing', 'acknowledged', 'resolved']).default('active'),
    department: z.string().max(32).optional(),
    domain: z.enum(DOMAINS).optional(),
    region: z.string().regex(/^\d{2,12}$/, '2–12 digit region code prefix').optional(),
    level: z.enum(WARNING_LEVELS).optional(),
    station: z.string().max(64).optional(),
    rule: z.string().max(64).optional(),
    limit: LIMIT,
    /** Alerts opened before the last of the previous page (its ISO time). */
    cursor: cursorParam(LIST, z.iso.datetime()),
  })
  .strict();
/** `by`: the person on duty, shown beside the token's own name (which cannot be claimed). Body optional. */
const AckBody = z.object({ by: z.string().trim().min(1, 'who acknowledges').max(100).regex(/^\P{Cc}*$/u, 'control characters are not allowed').optional(), note: plainTextSchema(1000).optional() }).strict().nullable();

const NOT_FOUND = { 404: 'No such alert in scope (API_ERR_NOT_FOUND)' };

export interface AlertRouteOptions {
  readonly alerts: AlertStore;
  readonly lifecycle: AlertLifecycle;
  readonly now: () => number;
}

export const alertRoutes: ApiPlugin<AlertRouteOptions> = async (app, { alerts, lifecycle, now }) => {
  app.get(
    '/api/v1/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts in scope, newest first: active (default), history or one state; filtered by department, domain, region prefix, level, station, rule',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(AlertSchema), total: z.number().int(), next: NextSchema }).strict() },
      },
    },
    async (req) => {
      const { cursor, ...filter } = req.query;
      const departments = scopeFilter(req);
      const page = await alerts.list({ ...filter, ...(cursor ? { beforeOpenedAt: cursor } : {}), ...(departments ? { departments } : {}) });
      return { ...page, next: keyNext(LIST, page.items, filter.limit, (a) => a.openedAt) };
    },
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      config: { permission: 'alerts:read', errors: NOT_FOUND },
      schema: { tags: ['alerts'], summary: 'One alert with its events (firing, escalated, acknowledged, resolved)', params: IdParams, response: { 200: z.object({ alert: AlertSchema, events: z.array(AlertEventSchema) }).strict() } },
    },
    async (req) => {
      const { id } = req.params;
      const alert = await alerts.get(id);
      if (!alert || !inScope(req, alert.department)) throw new HttpError('API_ERR_NOT_FOUND', `no alert ${id}`);
      return { alert, events: await alerts.events(id) };
    },
  );

  app.post(
    '/api/v1/alerts/:id/ack',
    {
      config: { permission: 'alerts:ack', errors: { ...NOT_FOUND, 409: 'The alert cannot be acknowledged in its state (API_ERR_ALERT_STATE)' } },
      schema: { tags: ['alerts'], summary: 'Acknowledge an alert (确认)', params: IdParams, body: AckBody, response: { 200: z.object({ alert: AlertSchema }).strict() } },
    },
    async (req) => {
      const { id } = req.params;
      const body = req.body ?? {};
      const found = await alerts.get(id);
      if (!found || !inScope(req, found.department)) throw new HttpError('API_ERR_NOT_FOUND', `no alert ${id}`);
      try {
        const actor = actorOf(req);
        const by = body.by && body.by !== actor ? `${actor}（${body.by}）` : actor;
        return { alert: await lifecycle.acknowledge(id, by, body.note, now()) };
      } catch (err) {
        if (err instanceof AlertError) throw new HttpError(err.code === 'ALERT_ERR_NOT_FOUND' ? 'API_ERR_NOT_FOUND' : 'API_ERR_ALERT_STATE', err.message, { cause: err });
        throw err;
      }
    },
  );
};
