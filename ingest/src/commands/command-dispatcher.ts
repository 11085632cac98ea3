/**
 * Remote control (紧急情况下遥控指挥): a command is stored, then published QoS 1 on the device's
 * `down/command`; a device that is offline gets its unexpired commands when it connects again.
 * The device answers on `up/events` with `{type: 'command_result', commandId, ok, error?, result?}`;
 * a command with no answer by its expiry is marked expired. Every step is logged.
 */
import type { Logger } from 'pino';
import { downTopic, modbusCommandValue } from '@shanshui/models';
import type { AgentConfig } from '@shanshui/models';
import type { Command, CommandStore } from './command-store.ts';

export interface CommandDispatcherDeps {
  readonly store: CommandStore;
  readonly publish: (topic: string, payload: Buffer) => Promise<void>;
  /** Whether the device listens now (cluster: possibly on another node, so it may ask the store). */
  readonly isOnline: (stationId: string) => boolean | Promise<boolean>;
  readonly logger: Logger;
}

/** Checks a command against the OPC-UA and Modbus command definitions in the station's agent config. */
export function validateCommand(config: AgentConfig | undefined, name: string, args: Record<string, unknown>): string | undefined {
  const sources = config?.sources ?? [];
  const modbus = sources.flatMap((s) => (s.kind === 'modbus' ? s.commands : []));
  const defs = sources.flatMap((s) => (s.kind === 'opcua' ? s.commands : []));
  const names = [...defs.map((d) => d.name), ...modbus.map((d) => d.name)];
  if (names.length === 0) return 'the station\'s agent config defines no commands';
  // Modbus register writes (遥控): the same check the agent makes before writing.
  const register = modbus.find((d) => d.name === name);
  if (register) {
    const checked = modbusCommandValue(register, args);
    return checked.ok ? undefined : checked.reason;
  }
  const def = defs.find((d) => d.name === name);
  if (!def) return `unknown command ${name}; this station accepts: ${names.join(', ')}`;
  if (def.write) {
    const v = args['value'];
    const t = def.write.dataType;
    if (t === 'Boolean' && typeof v !== 'boolean') return `${name} needs args.value: boolean`;
    if (t === 'String' && typeof v !== 'string') return `${name} needs args.value: string`;
    if (t !== 'Boolean' && t !== 'String' && (typeof v !== 'number' || !Number.isFinite(v))) return `${name} needs args.value: number (${t})`;
    if ((t === 'Int32' || t === 'UInt16') && !Number.isInteger(v)) return `${name} needs an integer args.value (${t})`;
    if (t === 'UInt16' && ((v as number) < 0 || (v as number) > 65535)) return `${name}: args.value out of UInt16 range`;
  }
  if (def.call && args['inputArguments'] !== undefined && !Array.isArray(args['inputArguments'])) return `${name}: args.inputArguments must be an array`;
  return undefined;
}

export class CommandDispatcher {
  readonly #deps: CommandDispatcherDeps;
  readonly #log: Logger;

  constructor(deps: CommandDispatcherDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'commands' });
  }

  async send(command: Command): Promise<void> {
    if (!(await this.#deps.isOnline(command.stationId))) {
      this.#log.info({ commandId: command.id, stationId: command.stationId }, 'device offline: command waits until it returns');
      return;
    }
    const payload = { id: command.id, name: command.name, args: command.args, expiresAt: command.expiresAt };
    await this.#deps.publish(downTopic(command.stationId, 'command'), Buffer.from(JSON.stringify(payload)));
    await this.#deps.store.markSent(command.id);
    this.#log.info({ commandId: command.id, stationId: command.stationId, name: command.name, by: command.by }, 'command sent');
  }

  /** A device came back: send what waits for it. */
  async onOnline(stationId: string): Promise<void> {
    for (const c of await this.#deps.store.open(stationId)) await this.send(c).catch((err: unknown) => this.#log.warn({ err }, 'command not sent'));
  }

  /** An `up/events` message (already durable in the spool); handles `command_result`, ignores the rest. */
  async onEvent(stationId: string, fields: Readonly<Record<string, number | string>>): Promise<void> {
    if (fields['type'] !== 'command_result' || typeof fields['commandId'] !== 'string') return;
    const ok = fields['ok'] === 1 || fields['ok'] === 'true';
    const error = typeof fields['error'] === 'string' ? fields['error'] : null;
    // Event fields are scalars: a structured result (OPC-UA status, output arguments) travels as JSON text.
    const result = parseResult(fields['result']);
    const recorded = await this.#deps.store.complete(fields['commandId'], stationId, ok, result, error);
    this.#log.info({ commandId: fields['commandId'], stationId, ok, error, recorded }, 'command result');
  }

  async expire(): Promise<void> {
    for (const c of await this.#deps.store.expire()) this.#log.warn({ commandId: c.id, stationId: c.stationId, name: c.name }, 'command expired without an answer');
  }
}

/** A result that is JSON object/array text becomes that value; anything else stays as sent. */
function parseResult(value: string | number | undefined): unknown {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
