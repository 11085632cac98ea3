/**
 * Remote control of field equipment:
 *   POST /api/v1/stations/{id}/commands {name, args, ttlSec}  → 202, the command as stored
 *   GET  /api/v1/stations/{id}/commands?limit=                 → newest first
 *   GET  /api/v1/commands/{id}                                 → state: pending|sent|succeeded|failed|expired
 */
import { z } from 'zod';
import type { CommandStore } from '../commands/command-store.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import { checkCommand } from '../commands/check-command.ts';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { actorOf, addAuditNote, inScope } from './request-auth.ts';
import { CommandSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';
import { LIMIT } from './paging.ts';

const CommandBody = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a command name such as open_gate'),
    args: z.record(z.string(), z.unknown()).default({}),
    /** Seconds the command stays valid; an offline device that returns later does not get it. Default 3600. */
    ttlSec: z.number().int().min(1).max(7 * 86_400).default(3600),
  })
  .strict();
const ListQuery = z.object({ limit: LIMIT }).strict();

const NOT_FOUND_STATION = { 404: 'No such station in scope (API_ERR_NOT_FOUND)' };

export interface CommandRouteOptions {
  readonly registry: StationRegistry;
  readonly provisioning: ProvisioningStore;
  readonly commands: CommandStore;
  readonly dispatcher: CommandDispatcher;
}

export const commandRoutes: ApiPlugin<CommandRouteOptions> = async (app, deps) => {
  app.post('/api/v1/stations/:id/commands', {
    config: { permission: 'commands:send', errors: { ...NOT_FOUND_STATION, 400: 'Not a command of the station\'s agent config, or its arguments do not fit (API_ERR_COMMAND_INVALID)' } },
    schema: { tags: ['commands'], summary: "Send a command to a station's gateway (delivered now, or when it returns before ttlSec)", params: IdParams, body: CommandBody, response: { 202: z.object({ command: CommandSchema }).strict() } },
  }, async (req, reply) => {
    const { id } = req.params;
    const body = req.body;
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
    if (station.gatewayId !== undefined) {
      // A child has no session of its own to receive it: it would wait until it expired.
      throw new HttpError('API_ERR_COMMAND_INVALID', `station ${id} reports through gateway ${station.gatewayId}: send the command to ${station.gatewayId}, whose configuration maps it`);
    }
    const invalid = await checkCommand(deps.provisioning, id, body.name, body.args);
    if (invalid) throw new HttpError('API_ERR_COMMAND_INVALID', invalid);
    const by = actorOf(req);
    const command = await deps.commands.create({ stationId: id, department: station.department, name: body.name, args: body.args, by, ttlSec: body.ttlSec });
    await deps.dispatcher.send(command);
    addAuditNote(req, { summary: { commandId: command.id, name: body.name, args: body.args, ttlSec: body.ttlSec } });
    return reply.code(202).send({ command: (await deps.commands.get(command.id)) ?? command });
  });

  app.get('/api/v1/stations/:id/commands', {
    config: { permission: 'commands:read', errors: NOT_FOUND_STATION },
    schema: { tags: ['commands'], summary: "A station's latest commands, newest first (the `limit` newest: not paged)", params: IdParams, querystring: ListQuery, response: { 200: z.object({ items: z.array(CommandSchema) }).strict() } },
  }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const station = deps.registry.get(id);
    if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
    return { items: await deps.commands.list(id, station.department, q.limit) };
  });

  app.get('/api/v1/commands/:id', {
    config: { permission: 'commands:read', errors: { 404: 'No such command in scope (API_ERR_NOT_FOUND)' } },
    schema: { tags: ['commands'], summary: 'One command and its state: pending, sent, succeeded, failed or expired', params: IdParams, response: { 200: z.object({ command: CommandSchema }).strict() } },
  }, async (req) => {
    const { id } = req.params;
    const command = await deps.commands.get(id);
    if (!command || !inScope(req, command.department)) throw new HttpError('API_ERR_NOT_FOUND', `no command ${id}`);
    return { command };
  });
};
