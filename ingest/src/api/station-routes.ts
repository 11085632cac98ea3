/**
 * /api/v1/stations: register (credentials shown once), list, show with presence and delivery
 * health, update (name, place, attributes, gateway), rotate secret, delete; /api/v1/delivery.
 * A station with `gatewayId` is a child: that gateway device publishes its readings.
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DOMAINS, StationInputSchema, StationUpdateSchema } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { stationPresence } from '../state/station-presence.ts';
import type { PresenceStore } from '../state/presence-store.ts';
import type { StationStore } from '../state/station-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import type { SequenceTracker } from '../accept/sequence-tracker.ts';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { ProfileCatalogue } from '../catalogue/profile-catalogue.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { addAuditNote, inScope, requireScope, scopeFilter } from './request-auth.ts';
import { CredentialsSchema, PresenceSchema, SequenceStatsSchema, StationSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { stationTopics } from './station-topics.ts';
import { NextSchema, offsetPage, offsetPaging, nextCursor } from './paging.ts';

const LIST = 'stations';
const DELIVERY_LIST = 'delivery';
const ListQuery = z
  .object({
    domain: z.enum(DOMAINS).optional(),
    department: z.string().max(32).optional(),
    /** GB/T 2260 region code prefix: '4401' matches every district of 广州. */
    region: z.string().regex(/^\d{2,12}$/, '2–12 digit region code prefix').optional(),
    ...offsetPaging(LIST),
  })
  .strict();
const DeliveryQuery = z
  .object({
    department: z.string().max(32).optional(),
    ...offsetPaging(DELIVERY_LIST),
  })
  .strict();

const NOT_FOUND = { 404: 'No such station in scope (API_ERR_NOT_FOUND)' };

export interface StationRouteOptions {
  readonly logger: Logger;
  readonly stations: Pick<StationStore, 'list'>;
  readonly presence: Pick<PresenceStore, 'get'>;
  readonly registry: StationRegistry;
  readonly sequences: SequenceTracker;
  /** A deleted station's bootstrap tokens and agent config go with it. */
  readonly provisioning: Pick<ProvisioningStore, 'deleteStation'>;
  /** MQTT URLs devices connect to (`HOST` = the name the caller reached the API by). */
  readonly mqttEndpoints: () => Record<string, string>;
  /** Devices connect to an external broker (no live gateway ACL): child stations are refused. Default false. */
  readonly externalBroker?: boolean;
  /** Profiles in force: a station naming one is checked against it. Default: no check. */
  readonly profiles?: Pick<ProfileCatalogue, 'checkStation'>;
}

function credentialsOf(deps: Pick<StationRouteOptions, 'mqttEndpoints'>, station: Station, secret: string, host: string) {
  return {
    clientId: station.id,
    username: station.id,
    password: secret,
    // HOST: the name the caller reached the API by (SHANSHUI_PUBLIC_MQTT_URL names it outright).
    mqtt: Object.fromEntries(Object.entries(deps.mqttEndpoints()).map(([k, v]) => [k, v.replace('HOST', host)])),
    topics: stationTopics(station.id),
    note: 'The password is shown only now; the platform keeps only a keyed hash (HMAC-SHA-256) of it. 密钥仅显示一次。',
  };
}

/**
 * A gateway must be another registered station of the same department that is not itself a
 * child (one level: a gateway's device connects on its own), visible to the caller.
 */
function checkGateway(deps: StationRouteOptions, req: FastifyRequest, station: Pick<Station, 'id' | 'department'>, gatewayId: string): void {
  const gateway = deps.registry.get(gatewayId);
  const invalid = (why: string): never => {
    throw new HttpError('API_ERR_GATEWAY_INVALID', `gatewayId ${gatewayId}: ${why} (网关设备无效)`, { field: 'gatewayId' });
  };
  if (deps.externalBroker) invalid('child stations need the built-in broker, whose ACL follows the registry live; an external broker (SHANSHUI_EXTERNAL_BROKER_URL) would refuse or, with an open ACL, let any device publish for any station');
  if (gatewayId === station.id) invalid('a station cannot be its own gateway');
  if (!gateway || !inScope(req, gateway.department)) invalid('no such station');
  if (gateway!.department !== station.department) invalid(`the gateway belongs to department ${gateway!.department}, the station to ${station.department}; both must be the same`);
  if (gateway!.gatewayId !== undefined) invalid(`it is itself a child station of ${gateway!.gatewayId}`);
  if (deps.registry.childrenOf(station.id).length > 0) invalid(`${station.id} is the gateway of other stations and cannot become a child`);
}

export const stationRoutes: ApiPlugin<StationRouteOptions> = async (app, deps) => {
  app.post(
    '/api/v1/stations',
    {
      config: {
        permission: 'stations:register',
        errors: { 400: 'Invalid station, or a gatewayId that is not a station of the same department (API_ERR_VALIDATION, API_ERR_GATEWAY_INVALID)', 409: 'A station with this id exists (API_ERR_EXISTS)' },
      },
      schema: {
        tags: ['stations'],
        summary: 'Register a station; its MQTT credentials are shown only in this answer',
        body: StationInputSchema,
        response: { 201: z.object({ station: StationSchema, credentials: CredentialsSchema }).strict() },
      },
    },
    async (req, reply) => {
      const input = req.body;
      requireScope(req, input.department, 'registering a station');
      if (deps.registry.get(input.id)) throw new HttpError('API_ERR_EXISTS', `station ${input.id} already exists`);
      const misfit = deps.profiles?.checkStation(input);
      if (misfit) throw new HttpError('API_ERR_VALIDATION', `invalid station: ${misfit}`);
      if (input.gatewayId !== undefined) checkGateway(deps, req, input, input.gatewayId);
      // Checked again right before the insert, after the secret's (slow) hash: a request in
      // between may have registered the id, or made the gateway a child itself.
      const { station, secret } = await deps.registry.register(input, () => {
        if (deps.registry.get(input.id)) throw new HttpError('API_ERR_EXISTS', `station ${input.id} already exists`);
        if (input.gatewayId !== undefined) checkGateway(deps, req, input, input.gatewayId);
      });
      deps.logger.info({ stationId: station.id, department: station.department, gatewayId: station.gatewayId }, 'station registered');
      addAuditNote(req, { target: station.id });
      return reply.code(201).send({ station, credentials: credentialsOf(deps, station, secret, req.hostname.replace(/:\d+$/, '')) });
    },
  );

  app.get(
    '/api/v1/stations',
    {
      config: { permission: 'stations:read' },
      schema: {
        tags: ['stations'],
        summary: 'Stations in scope, filtered by domain, department and region prefix, ordered by id',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(StationSchema), total: z.number().int().min(0), next: NextSchema }) },
      },
    },
    async (req) => {
      const { cursor, ...filter } = req.query;
      const departments = scopeFilter(req);
      const offset = cursor ?? 0;
      const page = await deps.stations.list({ ...filter, offset, ...(departments ? { departments } : {}) });
      return { ...page, next: offset + page.items.length < page.total ? nextCursor(LIST, offset + page.items.length) : null };
    },
  );

  app.get(
    '/api/v1/stations/:id',
    {
      config: { permission: 'stations:read', errors: NOT_FOUND },
      schema: {
        tags: ['stations'],
        summary: 'One station with its presence (online) and delivery health',
        params: IdParams,
        response: { 200: z.object({ station: StationSchema, presence: PresenceSchema, delivery: SequenceStatsSchema.nullable() }).strict() },
      },
    },
    async (req) => {
      const { id } = req.params;
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      return { station, presence: await stationPresence({ presence: deps.presence, sequences: deps.sequences }, station), delivery: deps.sequences.stats(id) ?? null };
    },
  );

  app.patch(
    '/api/v1/stations/:id',
    {
      config: { permission: 'stations:register', errors: { ...NOT_FOUND, 400: 'Invalid change, or a gatewayId that is not a station of the same department (API_ERR_VALIDATION, API_ERR_GATEWAY_INVALID)' } },
      schema: {
        tags: ['stations'],
        summary: 'Change a station: name, place, attributes, or its gateway (gatewayId; null detaches it). Id, domain and department stay',
        params: IdParams,
        body: StationUpdateSchema,
        response: { 200: z.object({ station: StationSchema }).strict() },
      },
    },
    async (req) => {
      const { id } = req.params;
      const current = deps.registry.get(id);
      if (!current || !inScope(req, current.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      const update = req.body;
      if (typeof update.gatewayId === 'string' && update.gatewayId !== current.gatewayId) checkGateway(deps, req, current, update.gatewayId);
      const misfit = deps.profiles?.checkStation({ domain: current.domain, profile: update.profile ?? current.profile, attributes: update.attributes ?? current.attributes });
      if (misfit) throw new HttpError('API_ERR_VALIDATION', `invalid station change: ${misfit}`);
      const station = await deps.registry.update(id, update);
      if (!station) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      if (station.gatewayId !== current.gatewayId) {
        // Another gateway numbers the child's messages from 1 again: not duplicates.
        deps.sequences.forget(id);
        deps.logger.info({ stationId: id, gatewayId: station.gatewayId ?? null, previous: current.gatewayId ?? null }, 'station gateway changed');
      }
      addAuditNote(req, { target: id });
      return { station };
    },
  );

  app.post(
    '/api/v1/stations/:id/credentials',
    {
      config: { permission: 'stations:credentials', errors: NOT_FOUND },
      schema: { tags: ['stations'], summary: "Rotate a station's MQTT secret (shown only in this answer)", params: IdParams, response: { 201: z.object({ credentials: CredentialsSchema }).strict() } },
    },
    async (req, reply) => {
      const { id } = req.params;
      const station = deps.registry.get(id);
      const secret = station && inScope(req, station.department) && (await deps.registry.rotateSecret(id));
      if (!station || !secret) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      deps.logger.info({ stationId: id }, 'station secret rotated');
      return reply.code(201).send({ credentials: credentialsOf(deps, station, secret, req.hostname.replace(/:\d+$/, '')) });
    },
  );

  app.delete(
    '/api/v1/stations/:id',
    { config: { permission: 'stations:delete', errors: NOT_FOUND }, schema: { tags: ['stations'], summary: 'Delete a station (its open alerts resolve)', params: IdParams, response: { 204: z.null() } } },
    async (req, reply) => {
      const { id } = req.params;
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department) || !(await deps.registry.remove(id))) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      deps.sequences.forget(id);
      await deps.provisioning.deleteStation(id);
      return reply.code(204).send(null);
    },
  );

  /** Delivery health of every device: gaps, missing and duplicate messages (数据完整性). */
  app.get(
    '/api/v1/delivery',
    {
      config: { permission: 'stations:read' },
      schema: {
        tags: ['stations'],
        summary: 'Delivery health of every device in scope: gaps, missing and duplicate messages (数据完整性), most missing first',
        querystring: DeliveryQuery,
        response: { 200: z.object({ items: z.array(SequenceStatsSchema.extend({ deviceId: z.string() })), total: z.number().int().min(0), next: NextSchema }) },
      },
    },
    async (req) => {
      const q = req.query;
      const departments = scopeFilter(req);
      const visible = (deviceId: string): boolean => {
        const department = deps.registry.get(deviceId)?.department ?? '';
        return (!departments || departments.includes(department)) && (q.department === undefined || q.department === department);
      };
      const items = [...deps.sequences.all()].filter(([deviceId]) => visible(deviceId)).map(([deviceId, stats]) => ({ deviceId, ...stats }));
      items.sort((a, b) => b.missing - a.missing || a.deviceId.localeCompare(b.deviceId));
      return offsetPage(DELIVERY_LIST, items, q);
    },
  );
};
