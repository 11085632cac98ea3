/** /api/v1/stations: register (credentials shown once), list, show with delivery health, rotate secret, delete. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { StationInputSchema, upTopic, downTopic } from '@shanshui/models';
import type { Station } from '@shanshui/models';
import { HttpError, parseOr400 } from './http-error.ts';
import type { ApiDeps } from './build-api.ts';
import { addAuditNote, inScope, requireScope, scopeFilter } from './request-auth.ts';

const ListQuery = z.object({
  domain: z.string().optional(),
  department: z.string().optional(),
  region: z.string().regex(/^\d{2,12}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const IdParams = z.object({ id: z.string().min(1).max(64) });

function credentialsOf(deps: ApiDeps, station: Station, secret: string) {
  return {
    clientId: station.id,
    username: station.id,
    password: secret,
    mqtt: deps.mqttEndpoints(),
    topics: {
      readings: upTopic(station.id, 'readings'),
      status: upTopic(station.id, 'status'),
      events: upTopic(station.id, 'events'),
      config: downTopic(station.id, 'config'),
      command: downTopic(station.id, 'command'),
    },
    note: 'The password is shown only now; the platform keeps only its scrypt hash. 密钥仅显示一次。',
  };
}

export function stationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/api/v1/stations', { config: { permission: 'stations:register' } }, async (req, reply) => {
    const input = parseOr400(StationInputSchema, req.body, 'station');
    requireScope(req, input.department, 'registering a station');
    if (deps.registry.get(input.id)) throw new HttpError(409, 'API_ERR_EXISTS', `station ${input.id} already exists`);
    const { station, secret } = await deps.registry.register(input);
    deps.logger.info({ stationId: station.id, department: station.department }, 'station registered');
    addAuditNote(req, { target: station.id });
    return reply.code(201).send({ station, credentials: credentialsOf(deps, station, secret) });
  });

  app.get('/api/v1/stations', { config: { permission: 'stations:read' } }, async (req) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const departments = scopeFilter(req);
    return deps.store.listStations({ ...q, ...(departments ? { departments } : {}) });
  });

  app.get('/api/v1/stations/:id', { config: { permission: 'stations:read' } }, async (req) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no station ${id}`);
    return { station, presence: deps.store.getPresence(id) ?? { online: false }, delivery: deps.sequences.stats(id) ?? null };
  });

  app.post('/api/v1/stations/:id/credentials', { config: { permission: 'stations:credentials' } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const station = deps.registry.get(id);
    const secret = station && inScope(req, station.department) && (await deps.registry.rotateSecret(id));
    if (!station || !secret) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no station ${id}`);
    deps.logger.info({ stationId: id }, 'station secret rotated');
    return reply.code(201).send({ credentials: credentialsOf(deps, station, secret) });
  });

  app.delete('/api/v1/stations/:id', { config: { permission: 'stations:delete' } }, async (req, reply) => {
    const { id } = parseOr400(IdParams, req.params, 'path');
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department) || !deps.registry.remove(id)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no station ${id}`);
    deps.sequences.forget(id);
    deps.provisioning.deleteStation(id);
    return reply.code(204).send();
  });

  /** Delivery health of every device: gaps, missing and duplicate messages (数据完整性). */
  app.get('/api/v1/delivery', { config: { permission: 'stations:read' } }, async (req) => {
    const departments = scopeFilter(req);
    const visible = (deviceId: string): boolean => !departments || departments.includes(deps.registry.get(deviceId)?.department ?? '');
    const items = [...deps.sequences.all()].filter(([deviceId]) => visible(deviceId)).map(([deviceId, stats]) => ({ deviceId, ...stats }));
    items.sort((a, b) => b.missing - a.missing || a.deviceId.localeCompare(b.deviceId));
    return { items };
  });
}
