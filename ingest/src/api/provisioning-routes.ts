/**
 * Provisioning of edge gateways in one step, and their remote configuration:
 *   POST /api/v1/stations/{id}/bootstrap-tokens  (stations:credentials) → a one-time token, expiring
 *   POST /api/v1/provision {token}               (public: the token)  → MQTT credentials (rotated) + config
 *   PUT|GET /api/v1/stations/{id}/config          (stations:config)    → validated, published retained on down/config
 */
import { agentConfigStatus } from './agent-config-status.ts';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AgentConfigSchema, metricSpec } from '@shanshui/models';
import type { AgentConfig, Station } from '@shanshui/models';
import { memoryRateLimit } from '@shanshui/broker';
import type { SharedRateLimit } from '@shanshui/broker';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import type { InfluxQuerier } from '../store/readings-query.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { addAuditNote, inScope } from './request-auth.ts';
import { AgentConfigResponseSchema, StationSchema, TopicsSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { stationTopics } from './station-topics.ts';

/** Body optional: `ttlSec` defaults to a day. */
const TokenBody = z.object({ ttlSec: z.number().int().min(1).max(30 * 86_400).default(86_400) }).strict().nullable();
const ProvisionBody = z.object({ token: z.string().min(10).max(200) }).strict();

const NOT_FOUND = { 404: 'No such station in scope (API_ERR_NOT_FOUND)' };

export interface ProvisioningRouteOptions {
  readonly logger: Logger;
  readonly registry: StationRegistry;
  readonly provisioning: ProvisioningStore;
  /** MQTT URLs devices connect to (`HOST` = the name the caller reached the API by). */
  readonly mqttEndpoints: () => Record<string, string>;
  /** Publishes an agent config retained on the station's down/config. */
  readonly publishConfig: (stationId: string, config: AgentConfig) => Promise<void>;
  /** InfluxDB, for what agents reported (config applied or rejected). */
  readonly influx?: InfluxQuerier;
  /** Provisioning attempts per client address; shared by every node with a Redis link. Default: this process's own (0.5/s, burst 10). */
  readonly provisioningLimit?: SharedRateLimit;
}

/** Provisioning attempts per client address: sustained per second, and at once. */
export const PROVISIONING_RATE_PER_SEC = 0.5;
export const PROVISIONING_BURST = 10;

export const provisioningRoutes: ApiPlugin<ProvisioningRouteOptions> = async (app, deps) => {
  // Guessing tokens is hopeless (192 bits), but a flood of attempts is still refused per address.
  const limiter = deps.provisioningLimit ?? memoryRateLimit(PROVISIONING_RATE_PER_SEC, PROVISIONING_BURST);

  app.post(
    '/api/v1/stations/:id/bootstrap-tokens',
    {
      config: { permission: 'stations:credentials', errors: NOT_FOUND },
      schema: {
        tags: ['provisioning'],
        summary: 'A one-time, expiring bootstrap token for provisioning a gateway of this station',
        params: IdParams,
        body: TokenBody,
        response: { 201: z.object({ token: z.string(), stationId: z.string(), expiresAt: z.string(), note: z.string() }).strict() },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      // No body takes the defaults; a body that is JSON null is not a token request (fastify hands both on as null).
      if (req.body === null && hasPayload(req.headers)) throw new HttpError('API_ERR_VALIDATION', 'body: expected an object {ttlSec} or no body', { field: 'body' });
      const body = req.body ?? TokenBody.unwrap().parse({});
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      const { token, expiresAt } = await deps.provisioning.createToken(id, body.ttlSec);
      deps.logger.info({ stationId: id, expiresAt }, 'bootstrap token created');
      return reply.code(201).send({ token, stationId: id, expiresAt, note: 'One-time token, shown only now. 一次性令牌，仅显示一次。' });
    },
  );

  app.post(
    '/api/v1/provision',
    {
      config: {
        permission: 'public',
        errors: {
          401: 'Unknown bootstrap token (PROVISION_ERR_TOKEN_UNKNOWN)',
          404: 'The station no longer exists (API_ERR_NOT_FOUND)',
          410: 'The bootstrap token was used or has expired (PROVISION_ERR_TOKEN_USED, PROVISION_ERR_TOKEN_EXPIRED)',
          429: 'Too many provisioning attempts from this address (PROVISION_ERR_RATE_LIMITED)',
        },
      },
      schema: {
        tags: ['provisioning'],
        summary: 'A gateway trades its bootstrap token for MQTT credentials (rotated) and its config (no bearer token: the bootstrap token is the credential)',
        body: ProvisionBody,
        response: {
          201: z
            .object({
              stationId: z.string(),
              station: StationSchema,
              credentials: z.object({ clientId: z.string(), username: z.string(), password: z.string(), mqtt: z.record(z.string(), z.string()), topics: TopicsSchema }).strict(),
              config: AgentConfigSchema.nullable(),
            })
            .strict(),
        },
      },
      // Counted before the body is looked at: a flood of malformed attempts is refused too.
      preValidation: async (req) => {
        if (!(await limiter.take(req.ip))) throw new HttpError('PROVISION_ERR_RATE_LIMITED', 'too many provisioning attempts from this address; wait a minute');
      },
    },
    async (req, reply) => {
      const { token } = req.body;
      const check = await deps.provisioning.consumeToken(token, req.ip);
      if (!check.ok) {
        deps.logger.warn({ reason: check.reason, stationId: check.stationId, ip: req.ip }, 'provisioning refused');
        if (check.reason === 'unknown') throw new HttpError('PROVISION_ERR_TOKEN_UNKNOWN', 'unknown bootstrap token');
        if (check.reason === 'used') throw new HttpError('PROVISION_ERR_TOKEN_USED', 'this bootstrap token was already used; ask the operator for a new one');
        throw new HttpError('PROVISION_ERR_TOKEN_EXPIRED', 'this bootstrap token has expired; ask the operator for a new one');
      }
      const station = deps.registry.get(check.stationId);
      const password = station && (await deps.registry.rotateSecret(station.id));
      if (!station || !password) throw new HttpError('API_ERR_NOT_FOUND', `station ${check.stationId} no longer exists`);
      deps.logger.info({ stationId: station.id, ip: req.ip }, 'gateway provisioned; credentials rotated');
      addAuditNote(req, { actor: { id: 'bootstrap-token', name: `gateway ${station.id}`, role: 'none' }, target: station.id, departments: [station.department], summary: { credentials: 'rotated' } });
      const host = req.hostname.replace(/:\d+$/, '');
      const endpoints = Object.fromEntries(Object.entries(deps.mqttEndpoints()).map(([k, v]) => [k, v.replace('HOST', host)]));
      return reply.code(201).send({
        stationId: station.id,
        station,
        credentials: {
          clientId: station.id,
          username: station.id,
          password,
          mqtt: endpoints,
          topics: stationTopics(station.id),
        },
        config: (await deps.provisioning.getConfig(station.id)) ?? null,
      });
    },
  );

  app.put(
    '/api/v1/stations/:id/config',
    {
      config: { permission: 'stations:config', errors: { ...NOT_FOUND, 409: 'The config version does not increase (API_ERR_CONFIG_VERSION)' } },
      schema: { tags: ['provisioning'], summary: "Set a station's edge-agent config; published retained on its down/config", params: IdParams, body: AgentConfigSchema, response: { 200: AgentConfigResponseSchema } },
    },
    async (req) => {
      const { id } = req.params;
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      const config: AgentConfig = req.body;
      // Readings mapped to a station this gateway may not publish for would be refused by the
      // broker (and block its uplink): every mapped station must be a child of this one.
      const target = (stationId: string | undefined): Station | undefined => {
        if (stationId === undefined || stationId === id) return station;
        const child = deps.registry.get(stationId);
        return child?.gatewayId === id ? child : undefined;
      };
      const notChildren = config.sources.flatMap((source, i) => {
        if (source.kind === 'opcua') return source.items.flatMap((item, j) => (target(item.stationId) ? [] : [`sources.${i}.items.${j}.stationId: ${item.stationId}`]));
        if (source.kind === 'modbus') {
          return source.groups.flatMap((group, j) =>
            group.points.flatMap((point, k) => {
              const child = point.stationId ?? group.stationId;
              return target(child) ? [] : [`sources.${i}.groups.${j}${point.stationId ? `.points.${k}` : ''}.stationId: ${child}`];
            }),
          );
        }
        if (source.kind === 'hj212' || source.kind === 'sl651') {
          return Object.entries(source.stations ?? {}).flatMap(([device, child]) => (target(child) ? [] : [`sources.${i}.stations.${device}: ${child}`]));
        }
        return [];
      });
      if (notChildren.length > 0) {
        throw new HttpError('API_ERR_VALIDATION', `invalid agent config: not child stations of ${id} (register them with gatewayId ${id} first; 子站须先登记网关): ${notChildren.join('; ')}`);
      }
      // An OPC-UA item or Modbus point feeding a metric its station's domain does not know would have the whole
      // reading (good values from the same scan too) dead-lettered: refuse it here, by name.
      const unknownMetric = (stationId: string | undefined, metric: string, where: string): string[] => {
        const owner = target(stationId)!;
        const whose = owner.id === id ? '' : ` (child ${owner.id}, ${owner.domain})`;
        return metricSpec(owner.domain, metric) ? [] : [`${where}.metric: ${metric}${whose}`];
      };
      const unknown = config.sources.flatMap((source, i) => {
        if (source.kind === 'opcua') return source.items.flatMap((item, j) => unknownMetric(item.stationId, item.metric, `sources.${i}.items.${j}`));
        if (source.kind === 'modbus') {
          return source.groups.flatMap((group, j) => group.points.flatMap((point, k) => unknownMetric(point.stationId ?? group.stationId, point.metric, `sources.${i}.groups.${j}.points.${k}`)));
        }
        return [];
      });
      if (unknown.length > 0) {
        throw new HttpError('API_ERR_VALIDATION', `invalid agent config: metrics unknown for ${station.domain} stations: ${unknown.join('; ')}`);
      }
      const current = await deps.provisioning.getConfig(id);
      if (current && config.version <= current.version) {
        throw new HttpError('API_ERR_CONFIG_VERSION', `config version must increase (current ${current.version}, got ${config.version})`);
      }
      // Checked again by the store, atomically: a concurrent PUT of the same version (another node) may have won.
      if (!(await deps.provisioning.setConfig(id, config))) {
        const now = await deps.provisioning.getConfig(id);
        throw new HttpError('API_ERR_CONFIG_VERSION', `config version must increase (current ${now?.version ?? '?'}, got ${config.version})`);
      }
      await deps.publishConfig(id, config);
      deps.logger.info({ stationId: id, version: config.version }, 'agent config published');
      return { stationId: id, config };
    },
  );

  app.get(
    '/api/v1/stations/:id/config',
    {
      config: { permission: 'stations:config', errors: { 404: 'No such station in scope, or no config yet (API_ERR_NOT_FOUND)' } },
      schema: {
        tags: ['provisioning'],
        summary: "A station's desired edge-agent config, and what the agent did with it: applied, rejected (with its reason and the version it keeps running) or pending",
        params: IdParams,
        response: { 200: AgentConfigResponseSchema },
      },
    },
    async (req) => {
      const { id } = req.params;
      const station = deps.registry.get(id);
      const config = station && inScope(req, station.department) ? await deps.provisioning.getConfig(id) : undefined;
      if (!config) throw new HttpError('API_ERR_NOT_FOUND', `no config for station ${id}`);
      return { stationId: id, config, agent: await agentConfigStatus(deps.influx, id, config.version, await deps.provisioning.getApplied(id)) };
    },
  );
};

/** Whether the request carried a body (a length above 0, or chunked). */
function hasPayload(headers: { readonly 'content-length'?: string | undefined; readonly 'transfer-encoding'?: string | undefined }): boolean {
  return (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
}
