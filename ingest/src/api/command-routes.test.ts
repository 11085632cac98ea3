/**
 * /api/v1/stations/{id}/commands and /api/v1/commands/{id} through inject(): refusals name the
 * field (API_ERR_VALIDATION) or the command's fault (API_ERR_COMMAND_INVALID); only an operator
 * (or admin) sends, a viewer reads; a department sees only its own stations' commands; a sent
 * command is audited with its id, name and arguments — a refused one is not.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import { injectPlatform } from './testing/inject-platform.ts';
import type { InjectPlatform } from './testing/inject-platform.ts';

let p: InjectPlatform;
const tokens: Record<'viewer' | 'technician' | 'operator' | 'ecoOperator', string> = { viewer: '', technician: '', operator: '', ecoOperator: '' };

const SLUICE = 'cmd-sluice-1';
const config = {
  version: 1,
  sources: [
    {
      kind: 'opcua',
      endpointUrl: 'opc.tcp://127.0.0.1:4840',
      items: [{ nodeId: 'ns=1;s=Gate1.Level', metric: 'water_level' }],
      commands: [{ name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } }],
    },
  ],
};

beforeAll(async () => {
  p = await injectPlatform();
  for (const id of [SLUICE, 'cmd-bare-1']) {
    const made = await p.call('POST', '/api/v1/stations', { id, name: `闸站 ${id}`, domain: 'reservoir', lat: 23.7, lon: 113.7, region: '440117', department: 'water' });
    expect(made.statusCode, made.body).toBe(201);
  }
  const put = await p.call('PUT', `/api/v1/stations/${SLUICE}/config`, config);
  expect(put.statusCode, put.body).toBe(200);
  const token = async (name: string, role: string, departments?: string[]): Promise<string> => {
    const res = await p.call('POST', '/api/v1/tokens', { name, role, ...(departments ? { departments } : {}) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().token as string;
  };
  tokens.viewer = await token('值班员', 'viewer', ['water']);
  tokens.technician = await token('运维', 'technician', ['water']);
  tokens.operator = await token('水务调度', 'operator', ['water']);
  tokens.ecoOperator = await token('生态环境调度', 'operator', ['eco-env']);
});
afterAll(async () => {
  await p?.stop();
});

const send = (body: unknown, token = tokens.operator, station = SLUICE) => p.call('POST', `/api/v1/stations/${station}/commands`, body, token);

async function auditOf(target: string): Promise<Array<{ route: string; method: string; status: number; actorName: string; actorRole: string; summary: unknown }>> {
  const res = await p.call('GET', `/api/v1/audit?target=${target}&limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as Array<{ route: string; method: string; status: number; actorName: string; actorRole: string; summary: unknown }>).filter((e) => e.route.includes('commands'));
}

test('an operator sends a command: 202 with the command as stored, readable by id and in the station list, audited', async () => {
  const res = await send({ name: 'open_gate', args: { value: true }, ttlSec: 600 });
  expect(res.statusCode, res.body).toBe(202);
  const command = res.json().command;
  // The device is not connected: the command waits for it.
  expect(command).toMatchObject({ stationId: SLUICE, department: 'water', name: 'open_gate', args: { value: true }, state: 'pending', sentAt: null, resultAt: null, error: null });
  expect(Date.parse(command.expiresAt) - Date.parse(command.createdAt)).toBe(600_000);

  const one = await p.call('GET', `/api/v1/commands/${command.id}`, undefined, tokens.viewer);
  expect(one.statusCode).toBe(200);
  expect(one.json().command).toEqual(command);
  const list = await p.call('GET', `/api/v1/stations/${SLUICE}/commands?limit=10`, undefined, tokens.viewer);
  expect(list.statusCode).toBe(200);
  expect(list.json().items.map((c: { id: string }) => c.id)).toContain(command.id);

  const entries = await auditOf(SLUICE);
  const entry = entries.find((e) => (e.summary as { commandId?: string }).commandId === command.id);
  expect(entry).toMatchObject({ method: 'POST', route: '/api/v1/stations/:id/commands', status: 202, actorName: '水务调度', actorRole: 'operator', summary: { commandId: command.id, name: 'open_gate', args: { value: true }, ttlSec: 600 } });
});

test('defaults: no args is {}, no ttlSec is one hour', async () => {
  // open_gate needs args.value, so the defaults are seen through the refusal's reason and a valid call.
  const res = await send({ name: 'open_gate', args: { value: false } });
  expect(res.statusCode, res.body).toBe(202);
  const c = res.json().command;
  expect(Date.parse(c.expiresAt) - Date.parse(c.createdAt)).toBe(3_600_000);
  const noArgs = await send({ name: 'open_gate' });
  expect(noArgs.statusCode).toBe(400);
  expect(noArgs.json().error.message).toMatch(/args\.value: boolean/);
});

test('schema refusals are API_ERR_VALIDATION naming the field', async () => {
  const cases: Array<[unknown, string]> = [
    [{ name: 'Open Gate', args: { value: true } }, 'name'],
    [{ args: { value: true } }, 'name'],
    [{ name: 'open_gate', args: [true] }, 'args'],
    [{ name: 'open_gate', args: { value: true }, ttlSec: 0 }, 'ttlSec'],
    [{ name: 'open_gate', args: { value: true }, ttlSec: 8 * 86_400 }, 'ttlSec'],
    [{ name: 'open_gate', args: { value: true }, ttlSec: 1.5 }, 'ttlSec'],
  ];
  for (const [body, field] of cases) {
    const res = await send(body);
    expect(res.statusCode, JSON.stringify(body)).toBe(400);
    expect(res.json().error, JSON.stringify(body)).toMatchObject({ code: 'API_ERR_VALIDATION', field });
  }
  const extra = await send({ name: 'open_gate', args: { value: true }, priority: 'high' });
  expect(extra.statusCode).toBe(400);
  expect(extra.json().error.code).toBe('API_ERR_VALIDATION');
  expect(extra.json().error.message).toMatch(/priority/);
  const limit = await p.call('GET', `/api/v1/stations/${SLUICE}/commands?limit=0`);
  expect(limit.statusCode).toBe(400);
  expect(limit.json().error).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'limit' });
});

test("a command the station's agent config does not define, or whose arguments do not fit, is API_ERR_COMMAND_INVALID saying why", async () => {
  const unknown = await send({ name: 'close_valve', args: {} });
  expect(unknown.statusCode).toBe(400);
  expect(unknown.json().error.code).toBe('API_ERR_COMMAND_INVALID');
  expect(unknown.json().error.message).toMatch(/unknown command close_valve; this station accepts: open_gate/);
  const wrongType = await send({ name: 'open_gate', args: { value: 'yes' } });
  expect(wrongType.statusCode).toBe(400);
  expect(wrongType.json().error).toMatchObject({ code: 'API_ERR_COMMAND_INVALID' });
  expect(wrongType.json().error.message).toMatch(/open_gate needs args\.value: boolean/);
  const noConfig = await send({ name: 'open_gate', args: { value: true } }, tokens.operator, 'cmd-bare-1');
  expect(noConfig.statusCode).toBe(400);
  expect(noConfig.json().error.message).toMatch(/defines no commands/);
});

test('roles: a viewer or technician may read commands but not send them; no token is 401', async () => {
  for (const role of ['viewer', 'technician'] as const) {
    const res = await send({ name: 'open_gate', args: { value: true } }, tokens[role]);
    expect(res.statusCode, role).toBe(403);
    expect(res.json().error.code, role).toBe('API_ERR_FORBIDDEN');
    expect(res.json().error.message, role).toMatch(/commands:send/);
    expect((await p.call('GET', `/api/v1/stations/${SLUICE}/commands`, undefined, tokens[role])).statusCode, role).toBe(200);
  }
  const anonymous = await p.built.api.inject({ method: 'POST', url: `/api/v1/stations/${SLUICE}/commands`, payload: { name: 'open_gate', args: { value: true } } });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.json().error.code).toBe('API_ERR_UNAUTHORIZED');
});

test("another department's operator neither sends to nor sees the station's commands: 404, as for a station that does not exist", async () => {
  const sent = await send({ name: 'open_gate', args: { value: true } });
  const id = sent.json().command.id as string;
  const other = await send({ name: 'open_gate', args: { value: true } }, tokens.ecoOperator);
  expect(other.statusCode).toBe(404);
  expect(other.json().error.code).toBe('API_ERR_NOT_FOUND');
  expect((await p.call('GET', `/api/v1/stations/${SLUICE}/commands`, undefined, tokens.ecoOperator)).statusCode).toBe(404);
  expect((await p.call('GET', `/api/v1/commands/${id}`, undefined, tokens.ecoOperator)).statusCode).toBe(404);
  expect((await send({ name: 'open_gate', args: { value: true } }, tokens.operator, 'no-such-station')).json().error.code).toBe('API_ERR_NOT_FOUND');
  expect((await p.call('GET', '/api/v1/commands/no-such-command')).statusCode).toBe(404);
});

test('refused commands leave no audit entry; each sent one leaves exactly one', async () => {
  const before = await auditOf(SLUICE);
  await send({ name: 'close_valve', args: {} });
  await send({ name: 'open_gate', args: { value: true } }, tokens.viewer);
  await send({ name: 'open_gate', args: { value: true }, ttlSec: 0 });
  expect(await auditOf(SLUICE)).toHaveLength(before.length);
  const ok = await send({ name: 'open_gate', args: { value: true } });
  const after = await auditOf(SLUICE);
  expect(after).toHaveLength(before.length + 1);
  expect(after.filter((e) => (e.summary as { commandId?: string }).commandId === ok.json().command.id)).toHaveLength(1);
});
