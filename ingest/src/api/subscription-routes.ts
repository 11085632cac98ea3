/**
 * /api/v1/subscriptions: webhook subscriptions of emergency centres (the secret is shown only
 * in the create answer's request — never returned), plus the JSON Schema of the webhook body
 * at /api/v1/schema/webhook-event.json (public, like the readings schema). Department scope:
 * a subscription belongs to its `filters.departments`; one naming none is global (it carries
 * every department's alerts), so only '*' tokens read or change it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HttpError, parseOr400 } from './http-error.ts';
import { SubscriptionInputSchema, publicSubscription } from '../webhooks/subscription-schema.ts';
import { webhookEventJsonSchema } from '../webhooks/webhook-event.ts';
import type { WarningsContext } from '../alerts/start-warnings.ts';
import { addAuditNote, inScope, requireScope } from './request-auth.ts';

const IdParams = z.object({ id: z.string().min(1).max(64) });

export function subscriptionRoutes(app: FastifyInstance, w: WarningsContext): void {
  app.get('/api/v1/schema/webhook-event.json', { config: { permission: 'public' } }, async () => webhookEventJsonSchema());

  app.get('/api/v1/subscriptions', { config: { permission: 'subscriptions:read' } }, async (req) => ({
    items: w.subscriptions.all().filter((s) => inScope(req, s.filters.departments)).map(publicSubscription),
  }));

  app.get('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:read' } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const sub = w.subscriptions.get(id);
    if (!sub || !inScope(req, sub.filters.departments)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no subscription ${id}`);
    return { subscription: publicSubscription(sub), outbox: w.outbox.list({ subscriptionId: id, limit: 1 }).total };
  });

  app.post('/api/v1/subscriptions', { config: { permission: 'subscriptions:write' } }, async (req, reply) => {
    const input = parseOr400(SubscriptionInputSchema, req.body, 'subscription');
    requireScope(req, input.filters.departments, 'a subscription');
    const sub = w.subscriptions.create(input);
    w.logger.info({ subscriptionId: sub.id, url: sub.url }, 'webhook subscription created');
    addAuditNote(req, { target: sub.id });
    return reply.code(201).send({ subscription: publicSubscription(sub) });
  });

  app.put('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:write' } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const input = parseOr400(SubscriptionInputSchema, req.body, 'subscription');
    const existing = w.subscriptions.get(id);
    if (!existing || !inScope(req, existing.filters.departments)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no subscription ${id}`);
    requireScope(req, input.filters.departments, 'a subscription');
    const sub = w.subscriptions.update(id, input);
    if (!sub) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no subscription ${id}`);
    w.worker.kick();
    return { subscription: publicSubscription(sub) };
  });

  app.delete('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:write' } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const existing = w.subscriptions.get(id);
    if (!existing || !inScope(req, existing.filters.departments) || !w.subscriptions.remove(id)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no subscription ${id}`);
    return reply.code(204).send();
  });
}
