/**
 * Remote control of field equipment:
 *   POST /api/v1/stations/{id}/commands {name, args, ttlSec}  → 202, the command as stored
 *   GET  /api/v1/stations/{id}/commands                        → newest first
 *   GET  /api/v1/commands/{id}                                 → state: pending|sent|succeeded|failed|expired
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CommandStore } from '../commands/command-store.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import { validateCommand } from '../commands/command-dispatcher.ts';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { actorOf, addAuditNote, inScope } from './request-auth.ts';

const IdParams = z.object({ id: z.string().min(1).max(64) });
const CommandBody = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a command name such as open_gate'),
    args: z.record(z.string(), z.unknown()).default({}),
    /** Seconds the command stays valid; an offline device that returns later does not get it. Default 3600. */
    ttlSec: z.number().int().min(1).max(7 * 86_400).default(3600),
  })
  .strict();

export interface CommandRouteDeps {
  readonly registry: StationRegistry;
  readonly provisioning: ProvisioningStore;
  readonly commands: CommandStore;
  readonly dispatcher: CommandDispatcher;
}

export function commandRoutes(deps: CommandRouteDeps): (app: FastifyInstance) => void {
  return (app) => {
    app.post('/api/v1/stations/:id/commands', { config: { permission: 'commands:send' } }, async (req, reply) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const body = parseOr400(CommandBody, req.body, 'command');
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no station ${id}`);
      const invalid = validateCommand(deps.provisioning.getConfig(id), body.name, body.args);
      if (invalid) throw new HttpError(400, 'API_ERR_COMMAND_INVALID', invalid);
      const by = actorOf(req);
      const command = deps.commands.create({ stationId: id, department: station.department, name: body.name, args: body.args, by, ttlSec: body.ttlSec });
      await deps.dispatcher.send(command);
      addAuditNote(req, { summary: { commandId: command.id, name: body.name, args: body.args, ttlSec: body.ttlSec } });
      return reply.code(202).send({ command: deps.commands.get(command.id) });
    });

    app.get('/api/v1/stations/:id/commands', { config: { permission: 'commands:read' } }, async (req) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const station = deps.registry.get(id);
      if (!station || !inScope(req, station.department)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no station ${id}`);
      return { items: deps.commands.list(id, 100) };
    });

    app.get('/api/v1/commands/:id', { config: { permission: 'commands:read' } }, async (req) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const command = deps.commands.get(id);
      if (!command || !inScope(req, command.department)) throw new HttpError(404, 'API_ERR_NOT_FOUND', `no command ${id}`);
      return { command };
    });
  };
}
