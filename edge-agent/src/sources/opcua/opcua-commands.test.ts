/** Commands on a real node-opcua server session (test-server.fixture.ts): write, call, refusals. */
import { test, expect, onTestFinished } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DataType, OPCUAClient } from 'node-opcua';
import { plainVariant, runOpcuaCommand } from './opcua-commands.ts';
import type { OpcuaCommandConfig } from './opcua-commands.ts';
import { NS, freePort, startTestOpcuaServer } from './test-server.fixture.ts';

const log = pino({ level: 'silent' });
const COMMANDS = [
  { name: 'set_position', write: { nodeId: `${NS};s=Gate1.Position`, dataType: 'Double' } },
  { name: 'move_gate', call: { objectId: `${NS};s=Gate1`, methodId: `${NS};s=Gate1.MoveTo` } },
] as OpcuaCommandConfig[];

test('an unknown command, or no session, is refused with its code before anything is sent', async () => {
  expect(await runOpcuaCommand(COMMANDS, undefined, 'launch_rocket', {}, log)).toMatchObject({ ok: false, error: expect.stringMatching(/EDGE_ERR_OPCUA_UNKNOWN_COMMAND.*launch_rocket/) });
  expect(await runOpcuaCommand(COMMANDS, undefined, 'set_position', { value: 1 }, log)).toMatchObject({ ok: false, error: expect.stringMatching(/EDGE_ERR_OPCUA_NOT_CONNECTED/) });
});

test('method outputs become plain JSON, typed arrays as arrays', () => {
  expect(plainVariant({ dataType: DataType.Boolean, value: true })).toEqual({ dataType: 'Boolean', value: true });
  expect(plainVariant({ dataType: DataType.Float, value: new Float32Array([1, 2]) })).toEqual({ dataType: 'Float', value: [1, 2] });
});

test('write and call against a real server; a wrong argument type never reaches it', async () => {
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shanshui-opcua-commands-'));
  onTestFinished(() => fs.rmSync(pkiDir, { recursive: true, force: true }));
  const server = await startTestOpcuaServer({ port: await freePort(), pkiDir });
  onTestFinished(() => server.shutdown());
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 3, initialDelay: 100 } });
  await client.connect(server.endpointUrl);
  onTestFinished(() => client.disconnect());
  const session = await client.createSession();
  onTestFinished(() => session.close());

  expect(await runOpcuaCommand(COMMANDS, session, 'set_position', { value: 12.5 }, log)).toEqual({ ok: true, result: { statusCode: 'Good' } });
  expect(server.get('Gate1.Position')).toBe(12.5);
  const refused = await runOpcuaCommand(COMMANDS, session, 'set_position', { value: 'high' }, log);
  expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/EDGE_ERR_OPCUA_COMMAND_ARGS/) });
  expect(server.get('Gate1.Position')).toBe(12.5);

  const called = await runOpcuaCommand(COMMANDS, session, 'move_gate', { inputArguments: [{ dataType: 'Double', value: 33 }] }, log);
  expect(called).toEqual({ ok: true, result: { statusCode: 'Good', outputArguments: [{ dataType: 'Boolean', value: true }] } });
  expect(server.methodCalls).toEqual([33]);
});
