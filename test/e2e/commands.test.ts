/** Remote control (遥控指挥): commands validated against the station's definitions, delivered over MQTT, answered, expired. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform();
});
afterAll(async () => {
  await tp?.close();
});

const config = {
  version: 1,
  sources: [
    {
      kind: 'opcua',
      endpointUrl: 'opc.tcp://127.0.0.1:4840',
      items: [{ nodeId: 'ns=1;s=Gate1.Level', metric: 'water_level' }],
      commands: [
        { name: 'open_gate', write: { nodeId: 'ns=1;s=Gate1.Open', dataType: 'Boolean' } },
        { name: 'set_flow', write: { nodeId: 'ns=1;s=Pump1.Setpoint', dataType: 'Double' } },
        { name: 'sound_siren', call: { objectId: 'ns=1;s=Siren', methodId: 'ns=1;s=Siren.Sound' } },
      ],
    },
  ],
};

/** A device that answers every command it receives. */
async function answeringDevice(username: string, password: string, ok = true): Promise<{ client: MqttClient; received: Array<{ id: string; name: string }> }> {
  const client = await tp.connect(username, password);
  const received: Array<{ id: string; name: string }> = [];
  client.on('message', (topic, payload) => {
    if (!topic.endsWith('/down/command')) return;
    const cmd = JSON.parse(payload.toString()) as { id: string; name: string };
    received.push(cmd);
    client.publish(`shanshui/v1/${username}/up/events`, JSON.stringify({ type: 'command_result', commandId: cmd.id, ok, ...(ok ? {} : { error: 'gate jammed' }) }), { qos: 1 });
  });
  await client.subscribeAsync(`shanshui/v1/${username}/down/command`, { qos: 1 });
  return { client, received };
}

test('a command reaches the device, its answer is visible; bad commands are refused with the reason', async () => {
  const cred = await tp.register({ id: 'sluice-01', domain: 'reservoir', department: 'water' });
  assert.equal((await tp.api('PUT', '/api/v1/stations/sluice-01/config', config)).status, 200);
  const { received } = await answeringDevice(cred.username, cred.password);

  const sent = await tp.api('POST', '/api/v1/stations/sluice-01/commands', { name: 'open_gate', args: { value: true } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const done = await eventually(async () => {
    const c = (await tp.api('GET', `/api/v1/commands/${sent.body.command.id}`)).body.command;
    return c.state === 'succeeded' ? c : undefined;
  }, 'the command answered');
  assert.ok(done.sentAt && done.resultAt);
  assert.deepEqual(received.map((r) => r.name), ['open_gate']);

  const badType = await tp.api('POST', '/api/v1/stations/sluice-01/commands', { name: 'set_flow', args: { value: 'fast' } });
  assert.equal(badType.status, 400);
  assert.match(badType.body.error.message, /set_flow needs args.value: number \(Double\)/);
  const unknown = await tp.api('POST', '/api/v1/stations/sluice-01/commands', { name: 'self_destruct' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /accepts: open_gate, set_flow, sound_siren/);
  assert.equal((await tp.api('POST', '/api/v1/stations/nowhere/commands', { name: 'open_gate' })).status, 404);
  const noDefs = await tp.register({ id: 'plain-air', domain: 'air' });
  assert.ok(noDefs);
  assert.match((await tp.api('POST', '/api/v1/stations/plain-air/commands', { name: 'open_gate' })).body.error.message, /defines no commands/);
});

test('an offline device gets its command when it returns; an expired one it never gets', async () => {
  const cred = await tp.register({ id: 'pump-02', domain: 'reservoir', department: 'water' });
  await tp.api('PUT', '/api/v1/stations/pump-02/config', config);
  const expiring = await tp.api('POST', '/api/v1/stations/pump-02/commands', { name: 'sound_siren', ttlSec: 1 });
  const waiting = await tp.api('POST', '/api/v1/stations/pump-02/commands', { name: 'set_flow', args: { value: 12.5 }, ttlSec: 600 });
  assert.equal(waiting.body.command.state, 'pending');
  await eventually(async () => (await tp.api('GET', `/api/v1/commands/${expiring.body.command.id}`)).body.command.state === 'expired', 'expiry');

  const { received } = await answeringDevice(cred.username, cred.password, false);
  const failed = await eventually(async () => {
    const c = (await tp.api('GET', `/api/v1/commands/${waiting.body.command.id}`)).body.command;
    return c.state === 'failed' ? c : undefined;
  }, 'the waiting command delivered and answered');
  assert.equal(failed.error, 'gate jammed');
  assert.deepEqual(received.map((r) => r.name), ['set_flow']);
  const history = await tp.api('GET', '/api/v1/stations/pump-02/commands');
  assert.deepEqual(history.body.items.map((c: { state: string }) => c.state).sort(), ['expired', 'failed']);
});
