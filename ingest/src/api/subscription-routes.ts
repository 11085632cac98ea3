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
import { SubscriptionCreateSchema, SubscriptionInputSchema, publicSubscription } from '../webhooks/subscription-schema.ts';
import { webhookEventJsonSchema } from '../webhooks/webhook-event.ts';
import type { WarningsContext } from '../alerts/start-warnings.ts';
import { addAuditNote, inScope, requireScope } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { JsonSchemaDocumentSchema, PublicSubscriptionSchema } from './response-schemas.ts';
import { IdParams, PAGE_FIELDS } from './common-schemas.ts';

const ListQuery = z
  .object({
    ...PAGE_FIELDS,
  })
  .strict();

const NOT_FOUND = { 404: 'No such subscription in scope (API_ERR_NOT_FOUND)' };
const ONE = z.object({ subscription: PublicSubscriptionSchema }).strict();
const DOCS = {
  eventSchema: { tag: 'subscriptions', summary: 'JSON Schema of the webhook body emergency centres receive', responses: { 200: JsonSchemaDocumentSchema } },
  list: { tag: 'subscriptions', summary: 'Webhook subscriptions in scope (secrets never shown)', query: ListQuery, responses: { 200: z.object({ items: z.array(PublicSubscriptionSchema), total: z.number().int() }).strict() } },
  show: {
    tag: 'subscriptions',
    summary: 'One subscription with the number of its outbox deliveries',
    params: IdParams,
    responses: { 200: z.object({ subscription: PublicSubscriptionSchema, outbox: z.number().int() }).strict() },
    errors: NOT_FOUND,
  },
  create: {
    tag: 'subscriptions',
    summary: 'Subscribe a webhook to alerts (filters: departments, domains, regions, minLevel, events); snapshot: true also delivers the warnings open now',
    body: SubscriptionCreateSchema,
    responses: { 201: ONE.extend({ snapshot: z.number().int().describe('open alerts queued for this receiver (0 without snapshot)') }) },
  },
  test: {
    tag: 'subscriptions',
    summary: 'Send a signed test event (type "test", not a warning) to the receiver through the outbox',
    params: IdParams,
    responses: { 202: z.object({ eventId: z.string().describe('the test event id = its idempotency key') }).strict() },
    errors: NOT_FOUND,
  },
  replace: { tag: 'subscriptions', summary: 'Replace a subscription', params: IdParams, body: SubscriptionInputSchema, responses: { 200: ONE }, errors: NOT_FOUND },
  remove: { tag: 'subscriptions', summary: 'Delete a subscription', params: IdParams, responses: { 204: null }, errors: NOT_FOUND },
} satisfies Record<string, RouteDoc>;

export function subscriptionRoutes(app: FastifyInstance, w: WarningsContext): void {
  app.get('/api/v1/schema/webhook-event.json', { config: { permission: 'public', doc: DOCS.eventSchema } }, async () => webhookEventJsonSchema());

  app.get('/api/v1/subscriptions', { config: { permission: 'subscriptions:read', doc: DOCS.list } }, async (req) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const visible = (await w.subscriptions.all()).filter((s) => inScope(req, s.filters.departments));
    return { items: visible.slice(q.offset, q.offset + q.limit).map(publicSubscription), total: visible.length };
  });

  app.get('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:read', doc: DOCS.show } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const sub = await w.subscriptions.get(id);
    if (!sub || !inScope(req, sub.filters.departments)) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
    return { subscription: publicSubscription(sub), outbox: (await w.outbox.list({ subscriptionId: id, limit: 1 })).total };
  });

  app.post('/api/v1/subscriptions', { config: { permission: 'subscriptions:write', doc: DOCS.create } }, async (req, reply) => {
    const { snapshot, ...input } = parseOr400(SubscriptionCreateSchema, req.body, 'subscription');
    const refusal = await w.outbound.urlRefusal(input.url);
    if (refusal) throw new HttpError('API_ERR_VALIDATION', `invalid subscription: url: ${refusal}`, { field: 'url' });
    requireScope(req, input.filters.departments, 'a subscription');
    const sub = await w.subscriptions.create(input);
    await w.subscriptionCache.refresh();
    w.logger.info({ subscriptionId: sub.id, url: sub.url }, 'webhook subscription created');
    addAuditNote(req, { target: sub.id });
    let queued = 0;
    if (snapshot && sub.enabled) {
      const open = [];
      for (const alert of await w.alerts.allOpen()) {
        const event = (await w.alerts.events(alert.id)).at(-1);
        if (event) open.push({ alert, event, station: w.station(alert.stationId) });
      }
      const rows = w.publisher.snapshotDeliveries(sub, open);
      await w.outbox.enqueue(rows, w.now());
      queued = rows.length;
      if (queued > 0) w.worker.kick();
    }
    return reply.code(201).send({ subscription: publicSubscription(sub), snapshot: queued });
  });

  app.put('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:write', doc: DOCS.replace } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const input = parseOr400(SubscriptionInputSchema, req.body, 'subscription');
    const refusal = await w.outbound.urlRefusal(input.url);
    if (refusal) throw new HttpError('API_ERR_VALIDATION', `invalid subscription: url: ${refusal}`, { field: 'url' });
    const existing = await w.subscriptions.get(id);
    if (!existing || !inScope(req, existing.filters.departments)) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
    requireScope(req, input.filters.departments, 'a subscription');
    const sub = await w.subscriptions.update(id, input);
    if (!sub) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
    await w.subscriptionCache.refresh();
    w.worker.kick();
    return { subscription: publicSubscription(sub) };
  });

  app.post('/api/v1/subscriptions/:id/test', { config: { permission: 'subscriptions:write', doc: DOCS.test } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const sub = await w.subscriptions.get(id);
    if (!sub || !inScope(req, sub.filters.departments)) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
    const { eventId, row } = w.publisher.testDelivery(sub, w.now());
    await w.outbox.enqueue([row], w.now());
    w.worker.kick();
    addAuditNote(req, { target: id });
    return reply.code(202).send({ eventId });
  });

  app.delete('/api/v1/subscriptions/:id', { config: { permission: 'subscriptions:write', doc: DOCS.remove } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const existing = await w.subscriptions.get(id);
    if (!existing || !inScope(req, existing.filters.departments) || !(await w.subscriptions.remove(id))) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
    await w.subscriptionCache.refresh();
    return reply.code(204).send();
  });
}
