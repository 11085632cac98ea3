/**
 * Provisioning of edge gateways in one step, and their remote configuration:
 *   POST /api/v1/stations/{id}/bootstrap-tokens  (stations:credentials) → a one-time token, expiring
 *   POST /api/v1/provision {token}               (public: the token)  → MQTT credentials (rotated) + config
 *   PUT|GET /api/v1/stations/{id}/config          (stations:config)    → validated, published retained on down/config
 */
import { agentConfigStatus } from './agent-config-status.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AgentConfigSchema, downTopic, metricSpec, upTopic } from '@shanshui/models';
import type { AgentConfig, Station } from '@shanshui/models';
import { memoryRateLimit } from '@shanshui/broker';
import { HttpError, parseOr400 } from './http-error.ts';
import type { ApiDeps } from './build-api.ts';
import { addAuditNote, inScope } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { AgentConfigResponseSchema, StationSchema, TopicsSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';

const TokenBody = z.object({ ttlSec: z.number().int().min(1).max(30 * 86_400).default(86_400) }).strict();
const ProvisionBody = z.object({ token: z.string().min(10).max(200) }).strict();

const NOT_FOUND = { 404: 'No such station in scope (API_ERR_NOT_FOUND)' };
const DOCS = {
  bootstrap: {
    tag: 'provisioning',
    summary: 'A one-time, expiring bootstrap token for provisioning a gateway of this station',
    params: IdParams,
    body: TokenBody,
    responses: { 201: z.object({ token: z.string(), stationId: z.string(), expiresAt: z.string(), note: z.string() }).strict() },
    errors: NOT_FOUND,
  },
  provision: {
    tag: 'provisioning',
    summary: "A gateway trades its bootstrap token for MQTT credentials (rotated) and its config (no bearer token: the bootstrap token is the credential)",
    body: ProvisionBody,
    responses: {
      201: z
        .object({
          stationId: z.string(),
          station: StationSchema,
          credentials: z.object({ clientId: z.string(), username: z.string(), password: z.string(), mqtt: z.record(z.string(), z.string()), topics: TopicsSchema }).strict(),
          config: AgentConfigSchema.nullable(),
        })
        .strict(),
    },
    errors: {
      401: 'Unknown bootstrap token (PROVISION_ERR_TOKEN_UNKNOWN)',
      404: 'The station no longer exists (API_ERR_NOT_FOUND)',
      410: 'The bootstrap token was used or has expired (PROVISION_ERR_TOKEN_USED, PROVISION_ERR_TOKEN_EXPIRED)',
      429: 'Too many provisioning attempts from this address (PROVISION_ERR_RATE_LIMITED)',
    },
  },
  putConfig: {
    tag: 'provisioning',
    summary: "Set a station's edge-agent config; published retained on its down/config",
    params: IdParams,
    body: AgentConfigSchema,
    responses: { 200: AgentConfigResponseSchema },
    errors: { ...NOT_FOUND, 409: 'The config version does not increase (API_ERR_CONFIG_VERSION)' },
  },
  getConfig: { tag: 'provisioning', summary: "A station's desired edge-agent config, and what the agent did with it: applied, rejected (with its reason and the version it keeps running) or pending", params: IdParams, responses: { 200: AgentConfigResponseSchema }, errors: { 404: 'No such station in scope, or no config yet (API_ERR_NOT_FOUND)' } },
} satisfies Record<string, RouteDoc>;

/** Provisioning attempts per client address: sustained per second, and at once. */
export const PROVISIONING_RATE_PER_SEC = 0.5;
export const PROVISIONING_BURST = 10;

export function provisioningRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // Guessing tokens is hopeless (192 bits), but a flood of attempts is still refused per address.
  const limiter = deps.provisioningLimit ?? memoryRateLimit(PROVISIONING_RATE_PER_SEC, PROVISIONING_BURST);

  app.post('/api/v1/stations/:id/bootstrap-tokens', { config: { permission: 'stations:credentials', doc: DOCS.bootstrap } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const body = parseOr400(TokenBody, req.body === undefined ? {} : req.body, 'bootstrap token request');
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
    const { token, expiresAt } = await deps.provisioning.createToken(id, body.ttlSec);
    deps.logger.info({ stationId: id, expiresAt }, 'bootstrap token created');
    return reply.code(201).send({ token, stationId: id, expiresAt, note: 'One-time token, shown only now. 一次性令牌，仅显示一次。' });
  });

  app.post('/api/v1/provision', { config: { permission: 'public', doc: DOCS.provision } }, async (req, reply) => {
    if (!(await limiter.take(req.ip))) throw new HttpError('PROVISION_ERR_RATE_LIMITED', 'too many provisioning attempts from this address; wait a minute');
    const { token } = parseOr400(ProvisionBody, req.body, 'provisioning request');
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
        topics: {
          readings: upTopic(station.id, 'readings'),
          status: upTopic(station.id, 'status'),
          events: upTopic(station.id, 'events'),
          config: downTopic(station.id, 'config'),
          command: downTopic(station.id, 'command'),
        },
      },
      config: (await deps.provisioning.getConfig(station.id)) ?? null,
    });
  });

  app.put('/api/v1/stations/:id/config', { config: { permission: 'stations:config', doc: DOCS.putConfig } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
    const config: AgentConfig = parseOr400(AgentConfigSchema, req.body, 'agent config');
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
    await deps.provisioning.setConfig(id, config);
    await deps.publishConfig(id, config);
    deps.logger.info({ stationId: id, version: config.version }, 'agent config published');
    return { stationId: id, config };
  });

  app.get('/api/v1/stations/:id/config', { config: { permission: 'stations:config', doc: DOCS.getConfig } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const station = deps.registry.get(id);
    const config = station && inScope(req, station.department) ? await deps.provisioning.getConfig(id) : undefined;
    if (!config) throw new HttpError('API_ERR_NOT_FOUND', `no config for station ${id}`);
    return { stationId: id, config, agent: await agentConfigStatus(deps.influx, id, config.version, await deps.provisioning.getApplied(id)) };
  });
}
