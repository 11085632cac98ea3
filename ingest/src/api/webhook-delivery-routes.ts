/** /api/v1/webhook-deliveries: the outbox — pending, delivered and dead deliveries; manual redelivery of a dead one. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError, parseOr400 } from './http-error.ts';
import { DELIVERY_STATES } from '../webhooks/outbox-store.ts';
import type { WarningsContext } from '../alerts/start-warnings.ts';
import { inScope, scopeFilter } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { DeliverySchema } from './response-schemas.ts';

const ListQuery = z
  .object({
    state: z.enum(DELIVERY_STATES).optional(),
    subscription: z.string().max(64).optional(),
    alert: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.coerce.number().int().positive().optional(),
  })
  .strict();
const IdParams = z.object({ id: z.coerce.number().int().positive() });

const DOCS = {
  list: {
    tag: 'subscriptions',
    summary: 'The webhook outbox, newest first: pending, delivered and dead deliveries of subscriptions in scope',
    query: ListQuery,
    responses: { 200: z.object({ items: z.array(DeliverySchema), total: z.number().int(), next: z.number().int().nullable().describe('`before` of the next page') }).strict() },
  },
  redeliver: {
    tag: 'subscriptions',
    summary: 'Queue a delivered or dead delivery again',
    params: IdParams,
    responses: { 202: z.object({ delivery: DeliverySchema }).strict() },
    errors: { 404: 'No such delivery in scope (API_ERR_NOT_FOUND)', 409: 'Still pending (API_ERR_DELIVERY_PENDING), or its subscription is gone (API_ERR_SUBSCRIPTION_GONE)' },
  },
} satisfies Record<string, RouteDoc>;

export function webhookDeliveryRoutes(app: FastifyInstance, w: WarningsContext): void {
  // A delivery is visible with its subscription (deliveries of deleted subscriptions: scope '*' only).
  const visibleSubscriptions = async (req: FastifyRequest): Promise<string[] | undefined> =>
    scopeFilter(req) ? (await w.subscriptions.all()).filter((s) => inScope(req, s.filters.departments)).map((s) => s.id) : undefined;

  app.get('/api/v1/webhook-deliveries', { config: { permission: 'webhook-deliveries:read', doc: DOCS.list } }, async (req) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const subscriptionIds = await visibleSubscriptions(req);
    const page = await w.outbox.list({
      limit: q.limit,
      ...(subscriptionIds ? { subscriptionIds } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.subscription ? { subscriptionId: q.subscription } : {}),
      ...(q.alert ? { alertId: q.alert } : {}),
      ...(q.before ? { beforeId: q.before } : {}),
    });
    const last = page.items.at(-1);
    return { ...page, next: page.items.length === q.limit && last ? last.id : null };
  });

  app.post('/api/v1/webhook-deliveries/:id/redeliver', { config: { permission: 'subscriptions:write', doc: DOCS.redeliver } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const d = await w.outbox.get(id);
    const sub = d && (await w.subscriptions.get(d.subscriptionId));
    if (!d || (sub ? !inScope(req, sub.filters.departments) : scopeFilter(req) !== undefined)) throw new HttpError('API_ERR_NOT_FOUND', `no webhook delivery ${id}`);
    if (d.state === 'pending') throw new HttpError('API_ERR_DELIVERY_PENDING', `delivery ${id} is still pending (attempt ${d.attempts + 1} due ${new Date(d.nextAttemptAt).toISOString()})`);
    if (!(await w.subscriptions.get(d.subscriptionId))) throw new HttpError('API_ERR_SUBSCRIPTION_GONE', `subscription ${d.subscriptionId} no longer exists`);
    const again = await w.outbox.redeliver(id, w.now());
    w.worker.kick();
    w.logger.info({ deliveryId: id }, 'webhook delivery queued again by hand');
    return reply.code(202).send({ delivery: again });
  });
}
