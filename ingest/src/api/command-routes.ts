/**
 * Remote control of field equipment:
 *   POST /api/v1/stations/{id}/commands {name, args, ttlSec}  → 202, the command as stored
 *   GET  /api/v1/stations/{id}/commands?limit=                 → newest first
 *   GET  /api/v1/commands/{id}                                 → state: pending|sent|succeeded|failed|expired
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CommandStore } from '../commands/command-store.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import { checkCommand } from '../commands/check-command.ts';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { actorOf, addAuditNote, inScope } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { CommandSchema } from './response-schemas.ts';
import { IdParams } from './common-schemas.ts';

const CommandBody = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a command name such as open_gate'),
    args: z.record(z.string(), z.unknown()).default({}),
    /** Seconds the command stays valid; an offline device that returns later does not get it. Default 3600. */
    ttlSec: z.number().int().min(1).max(7 * 86_400).default(3600),
  })
  .strict();
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

const DOCS = {
  send: {
    tag: 'commands',
    summary: "Send a command to a station's gateway (delivered now, or when it returns before ttlSec)",
    params: IdParams,
    body: CommandBody,
    responses: { 202: z.object({ command: CommandSchema }).strict() },
    errors: { 404: 'No such station in scope (API_ERR_NOT_FOUND)' },
  },
  list: {
    tag: 'commands',
    summary: "A station's commands, newest first",
    params: IdParams,
    query: ListQuery,
    responses: { 200: z.object({ items: z.array(CommandSchema) }).strict() },
    errors: { 404: 'No such station in scope (API_ERR_NOT_FOUND)' },
  },
  show: {
    tag: 'commands',
    summary: 'One command and its state: pending, sent, succeeded, failed or expired',
    params: IdParams,
    responses: { 200: z.object({ command: CommandSchema }).strict() },
    errors: { 404: 'No such command in scope (API_ERR_NOT_FOUND)' },
  },
} satisfies Record<string, RouteDoc>;

export interface CommandRouteDeps {
  readonly registry: StationRegistry;
  readonly provisioning: ProvisioningStore;
  readonly commands: CommandStore;
  readonly dispatcher: CommandDispatcher;
}

export function commandRoutes(deps: CommandRouteDeps): (app: FastifyInstance) => void {
  return (app) => {
    app.post('/api/v1/stations/:id/commands', { config: { permission: 'commands:send', doc: DOCS.send } }, async (req, reply) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const body = parseOr400(CommandBody, req.body, 'command');
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
      return reply.code(202).send({ command: await deps.commands.get(command.id) });
    });

    app.get('/api/v1/stations/:id/commands', { config: { permission: 'commands:read', doc: DOCS.list } }, async (req) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const q = parseOr400(ListQuery, req.query, 'query');
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError('API_ERR_NOT_FOUND', `no station ${id}`);
      return { items: await deps.commands.list(id, station.department, q.limit) };
    });

    app.get('/api/v1/commands/:id', { config: { permission: 'commands:read', doc: DOCS.show } }, async (req) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const command = await deps.commands.get(id);
      if (!command || !inScope(req, command.department)) throw new HttpError('API_ERR_NOT_FOUND', `no command ${id}`);
      return { command };
    });
  };
}
