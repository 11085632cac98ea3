/**
 * /api/v1/subscriptions: webhook subscriptions of emergency centres (the secret is shown only
 * in the create answer's request — never returned), plus the JSON Schema of the webhook body
 * at /api/v1/schema/webhook-event.json (public, like the readings schema). Department scope:
 * a subscription belongs to its `filters.departments`; one naming none is global (it carries
 * every department's alerts), so only '*' tokens read or change it.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { urlForLog } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { HttpError } from './http-error.ts';
import { SubscriptionCreateSchema, SubscriptionInputSchema, publicSubscription } from '../webhooks/subscription-schema.ts';
import { webhookEventJsonSchema } from '../webhooks/webhook-event.ts';
import type { AlertStore } from '../alerts/alert-store.ts';
import type { SubscriptionStore } from '../webhooks/subscription-store.ts';
import type { SubscriptionCache } from '../webhooks/subscription-cache.ts';
import type { OutboxStore } from '../webhooks/outbox-store.ts';
import type { DeliveryWorker } from '../webhooks/delivery-worker.ts';
import type { OutboundGuard } from '../webhooks/outbound-guard.ts';
import type { WebhookPublisher } from '../webhooks/webhook-publisher.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { addAuditNote, inScope, requireScope } from './request-auth.ts';
import { JsonSchemaDocumentSchema, PublicSubscriptionSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { NextSchema, offsetPage, offsetPaging } from './paging.ts';

const LIST = 'subscriptions';
const ListQuery = z.object({ ...offsetPaging(LIST) }).strict();

const NOT_FOUND = { 404: 'No such subscription in scope (API_ERR_NOT_FOUND)' };
const ONE = z.object({ subscription: PublicSubscriptionSchema }).strict();

export interface SubscriptionRouteOptions {
  readonly subscriptions: SubscriptionStore;
  readonly subscriptionCache: Pick<SubscriptionCache, 'refresh'>;
  readonly outbox: OutboxStore;
  readonly worker: Pick<DeliveryWorker, 'kick'>;
  /** Refuses subscription URLs that point at loopback/private/own ports. */
  readonly outbound: Pick<OutboundGuard, 'urlRefusal'>;
  /** Makes a subscription's test event and its snapshot of open alerts. */
  readonly publisher: Pick<WebhookPublisher, 'snapshotDeliveries' | 'testDelivery'>;
  /** Open alerts and their events, for a snapshot. */
  readonly alerts: Pick<AlertStore, 'allOpen' | 'events'>;
  readonly station: (id: string) => Station | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

export const subscriptionRoutes: ApiPlugin<SubscriptionRouteOptions> = async (app, w) => {
  app.get(
    '/api/v1/schema/webhook-event.json',
    { config: { permission: 'public' }, schema: { tags: ['subscriptions'], summary: 'JSON Schema of the webhook body emergency centres receive', response: { 200: JsonSchemaDocumentSchema } } },
    async () => webhookEventJsonSchema() as Record<string, unknown>,
  );

  app.get(
    '/api/v1/subscriptions',
    {
      config: { permission: 'subscriptions:read' },
      schema: { tags: ['subscriptions'], summary: 'Webhook subscriptions in scope (secrets never shown)', querystring: ListQuery, response: { 200: z.object({ items: z.array(PublicSubscriptionSchema), total: z.number().int(), next: NextSchema }).strict() } },
    },
    async (req) => {
      const visible = (await w.subscriptions.all()).filter((s) => inScope(req, s.filters.departments));
      return offsetPage(LIST, visible.map(publicSubscription), req.query);
    },
  );

  app.get(
    '/api/v1/subscriptions/:id',
    {
      config: { permission: 'subscriptions:read', errors: NOT_FOUND },
      schema: { tags: ['subscriptions'], summary: 'One subscription with the number of its outbox deliveries', params: IdParams, response: { 200: z.object({ subscription: PublicSubscriptionSchema, outbox: z.number().int() }).strict() } },
    },
    async (req) => {
      const { id } = req.params;
      const sub = await w.subscriptions.get(id);
      if (!sub || !inScope(req, sub.filters.departments)) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
      return { subscription: publicSubscription(sub), outbox: (await w.outbox.list({ subscriptionId: id, limit: 1 })).total };
    },
  );

  app.post(
    '/api/v1/subscriptions',
    {
      config: { permission: 'subscriptions:write' },
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe a webhook to alerts (filters: departments, domains, regions, minLevel, events); snapshot: true also delivers the warnings open now',
        body: SubscriptionCreateSchema,
        response: { 201: ONE.extend({ snapshot: z.number().int().describe('open alerts queued for this receiver (0 without snapshot)') }) },
      },
    },
    async (req, reply) => {
      const { snapshot, ...input } = req.body;
      const refusal = await w.outbound.urlRefusal(input.url);
      if (refusal) throw new HttpError('API_ERR_VALIDATION', `invalid subscription: url: ${refusal}`, { field: 'url' });
      requireScope(req, input.filters.departments, 'a subscription');
      const sub = await w.subscriptions.create(input);
      await w.subscriptionCache.refresh();
      w.logger.info({ subscriptionId: sub.id, url: urlForLog(sub.url) }, 'webhook subscription created');
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
    },
  );

  app.put(
    '/api/v1/subscriptions/:id',
    { config: { permission: 'subscriptions:write', errors: NOT_FOUND }, schema: { tags: ['subscriptions'], summary: 'Replace a subscription', params: IdParams, body: SubscriptionInputSchema, response: { 200: ONE } } },
    async (req) => {
      const { id } = req.params;
      const input = req.body;
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
    },
  );

  app.post(
    '/api/v1/subscriptions/:id/test',
    {
      config: { permission: 'subscriptions:write', errors: NOT_FOUND },
      schema: {
        tags: ['subscriptions'],
        summary: 'Send a signed test event (type "test", not a warning) to the receiver through the outbox',
        params: IdParams,
        response: { 202: z.object({ eventId: z.string().describe('the test event id = its idempotency key') }).strict() },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const sub = await w.subscriptions.get(id);
      if (!sub || !inScope(req, sub.filters.departments)) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
      const { eventId, row } = w.publisher.testDelivery(sub, w.now());
      await w.outbox.enqueue([row], w.now());
      w.worker.kick();
      addAuditNote(req, { target: id });
      return reply.code(202).send({ eventId });
    },
  );

  app.delete(
    '/api/v1/subscriptions/:id',
    { config: { permission: 'subscriptions:write', errors: NOT_FOUND }, schema: { tags: ['subscriptions'], summary: 'Delete a subscription', params: IdParams, response: { 204: z.null() } } },
    async (req, reply) => {
      const { id } = req.params;
      const existing = await w.subscriptions.get(id);
      if (!existing || !inScope(req, existing.filters.departments) || !(await w.subscriptions.remove(id))) throw new HttpError('API_ERR_NOT_FOUND', `no subscription ${id}`);
      await w.subscriptionCache.refresh();
      return reply.code(204).send(null);
    },
  );
};
