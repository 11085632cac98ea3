/** /api/v1/webhook-deliveries: the outbox — pending, delivered and dead deliveries; manual redelivery of a dead one. */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HttpError } from './http-error.ts';
import { DELIVERY_STATES } from '../webhooks/outbox-store.ts';
import type { OutboxStore } from '../webhooks/outbox-store.ts';
import type { SubscriptionStore } from '../webhooks/subscription-store.ts';
import type { DeliveryWorker } from '../webhooks/delivery-worker.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { inScope, scopeFilter } from './request-auth.ts';
import { DeliverySchema } from './response-schemas.ts';
import { LIMIT, NextSchema, cursorParam, keyNext } from './paging.ts';

const LIST = 'webhook-deliveries';
const ListQuery = z
  .object({
    state: z.enum(DELIVERY_STATES).optional(),
    subscription: z.string().max(64).optional(),
    alert: z.string().max(64).optional(),
    limit: LIMIT,
    /** Deliveries older than the last of the previous page (by id). */
    cursor: cursorParam(LIST, z.number().int().positive()),
  })
  .strict();
const IdParams = z.object({ id: z.coerce.number().int().positive() });

export interface WebhookDeliveryRouteOptions {
  readonly subscriptions: SubscriptionStore;
  readonly outbox: OutboxStore;
  readonly worker: Pick<DeliveryWorker, 'kick'>;
  readonly logger: Logger;
  readonly now: () => number;
}

export const webhookDeliveryRoutes: ApiPlugin<WebhookDeliveryRouteOptions> = async (app, { subscriptions, outbox, worker, logger, now }) => {
  // A delivery is visible with its subscription (deliveries of deleted subscriptions: scope '*' only).
  const visibleSubscriptions = async (req: FastifyRequest): Promise<string[] | undefined> =>
    scopeFilter(req) ? (await subscriptions.all()).filter((s) => inScope(req, s.filters.departments)).map((s) => s.id) : undefined;

  app.get(
    '/api/v1/webhook-deliveries',
    {
      config: { permission: 'webhook-deliveries:read' },
      schema: {
        tags: ['subscriptions'],
        summary: 'The webhook outbox, newest first: pending, delivered and dead deliveries of subscriptions in scope',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(DeliverySchema), total: z.number().int(), next: NextSchema }).strict() },
      },
    },
    async (req) => {
      const q = req.query;
      const subscriptionIds = await visibleSubscriptions(req);
      const page = await outbox.list({
        limit: q.limit,
        ...(subscriptionIds ? { subscriptionIds } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.subscription ? { subscriptionId: q.subscription } : {}),
        ...(q.alert ? { alertId: q.alert } : {}),
        ...(q.cursor ? { beforeId: q.cursor } : {}),
      });
      return { ...page, next: keyNext(LIST, page.items, q.limit, (d) => d.id) };
    },
  );

  app.post(
    '/api/v1/webhook-deliveries/:id/redeliver',
    {
      config: { permission: 'subscriptions:write', errors: { 404: 'No such delivery in scope (API_ERR_NOT_FOUND)', 409: 'Still pending (API_ERR_DELIVERY_PENDING), or its subscription is gone (API_ERR_SUBSCRIPTION_GONE)' } },
      schema: { tags: ['subscriptions'], summary: 'Queue a delivered or dead delivery again', params: IdParams, response: { 202: z.object({ delivery: DeliverySchema }).strict() } },
    },
    async (req, reply) => {
      const { id } = req.params;
      const d = await outbox.get(id);
      const sub = d && (await subscriptions.get(d.subscriptionId));
      if (!d || (sub ? !inScope(req, sub.filters.departments) : scopeFilter(req) !== undefined)) throw new HttpError('API_ERR_NOT_FOUND', `no webhook delivery ${id}`);
      if (d.state === 'pending') throw new HttpError('API_ERR_DELIVERY_PENDING', `delivery ${id} is still pending (attempt ${d.attempts + 1} due ${new Date(d.nextAttemptAt).toISOString()})`);
      if (!(await subscriptions.get(d.subscriptionId))) throw new HttpError('API_ERR_SUBSCRIPTION_GONE', `subscription ${d.subscriptionId} no longer exists`);
      const again = await outbox.redeliver(id, now());
      if (!again) throw new HttpError('API_ERR_NOT_FOUND', `no webhook delivery ${id}`);
      worker.kick();
      logger.info({ deliveryId: id }, 'webhook delivery queued again by hand');
      return reply.code(202).send({ delivery: again });
    },
  );
};
