/**
 * OPC-UA commands: a command named in the source's `config.commands` writes a node (Write
 * service) or calls a method (Call service), after checking the argument types
 * (`command-value.ts`). The answer is plain JSON; a command never throws.
 */
import type { Logger } from 'pino';
import type { SourceConfig } from '@shanshui/models/edge';
import { AttributeIds, DataType } from 'node-opcua';
import type { ClientSession, StatusCode, Variant } from 'node-opcua';
import { toCallInputArguments, toCommandVariant } from './command-value.ts';
import { opcuaErrorText } from './errors.ts';

export type OpcuaCommandConfig = Extract<SourceConfig, { kind: 'opcua' }>['commands'][number];

export interface OpcuaCommandResult {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** The session services a command uses. */
export type CommandSession = Pick<ClientSession, 'write' | 'call'>;

/**
 * Runs command `name` of `commands` on `session` (undefined: not connected). `log` gets one line
 * per command run.
 */
export async function runOpcuaCommand(
  commands: readonly OpcuaCommandConfig[],
  session: CommandSession | undefined,
  name: string,
  args: Record<string, unknown>,
  log: Logger,
): Promise<OpcuaCommandResult> {
  const command = commands.find((c) => c.name === name);
  if (!command) return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_UNKNOWN_COMMAND', JSON.stringify(name)) };
  if (!session) return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_NOT_CONNECTED') };
  const commandLog = log.child({ command: name });
  try {
    if (command.write) {
      const checked = toCommandVariant(command.write.dataType, (args ?? {}).value);
      if (!checked.ok) return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_COMMAND_ARGS', `value: ${checked.error}`) };
      const statusCode = await session.write({ nodeId: command.write.nodeId, attributeId: AttributeIds.Value, value: { value: checked.variant } });
      commandLog.info({ nodeId: command.write.nodeId, value: checked.variant.value, status: statusCode.name }, 'write command');
      return statusResult(statusCode, { statusCode: statusCode.name });
    }
    if (command.call) {
      const checked = toCallInputArguments((args ?? {}).inputArguments);
      if (!checked.ok) return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_COMMAND_ARGS', checked.error) };
      const result = await session.call({ objectId: command.call.objectId, methodId: command.call.methodId, inputArguments: checked.variants });
      commandLog.info({ objectId: command.call.objectId, methodId: command.call.methodId, status: result.statusCode.name }, 'call command');
      return statusResult(result.statusCode, {
        statusCode: result.statusCode.name,
        outputArguments: (result.outputArguments ?? []).map(plainVariant),
        ...(result.inputArgumentResults?.some((s) => s.isNotGood()) ? { inputArgumentResults: result.inputArgumentResults.map((s) => s.name) } : {}),
      });
    }
    return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_UNKNOWN_COMMAND', `${name} has neither write nor call`) };
  } catch (err) {
    commandLog.warn({ err }, 'command failed');
    return { ok: false, error: opcuaErrorText('EDGE_ERR_OPCUA_COMMAND_FAILED', (err as Error).message) };
  }
}

function statusResult(statusCode: StatusCode, result: Record<string, unknown>): OpcuaCommandResult {
  if (statusCode.isGood()) return { ok: true, result };
  return { ok: false, result, error: opcuaErrorText('EDGE_ERR_OPCUA_COMMAND_FAILED', statusCode.toString()) };
}

/** A method output as JSON: `{ dataType, value }` with typed arrays as arrays. */
export function plainVariant(variant: Pick<Variant, 'dataType' | 'value'>): { dataType: string; value: unknown } {
  const value: unknown = variant.value;
  const plain = ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
  return { dataType: DataType[variant.dataType] ?? String(variant.dataType), value: plain };
}
