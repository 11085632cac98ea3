/**
 * The platform delivers a config at least once, not exactly once (README, "Guarantees"): the
 * retained copy a device gets on SUBSCRIBE can race a live publish of the same config (aedes sends
 * SUBACK, then reads the retained store — in a cluster from Redis — while the publish reaches the
 * new subscription), a QoS 1 message is sent again after a lost PUBACK, and a one-node platform
 * publishes its configs again when it restarts. The edge agent is therefore idempotent on the
 * config version: the same config again is neither applied again nor reported again. Here the
 * duplicates are made on purpose, through a plain broker (Mosquitto) that the agent's credentials
 * point at, so the test is exact about what the agent received.
 */
import { test, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { createAgent, saveCredentials } from '@shanshui/edge-agent';
import type { Agent } from '@shanshui/edge-agent';
import { freePort } from '@shanshui/ingest';
import { startMosquitto } from '../support/mosquitto.ts';
import type { Mosquitto } from '../support/mosquitto.ts';
import { tempDir } from '../support/temp-dir.ts';

const STATION = 'cfg-dup-01';
const CONFIG_TOPIC = `shanshui/v1/${STATION}/down/config`;
let broker: Mosquitto;
let platformSide: MqttClient;
let agent: Agent | undefined;
const removals: Array<() => Promise<void>> = [];
const events: Array<{ type?: string; version?: number }> = [];

beforeAll(async () => {
  broker = await startMosquitto();
  // The platform's side of the broker: publishes down/config, hears up/events.
  platformSide = await mqtt.connectAsync(broker.url, { clientId: 'platform-side', reconnectPeriod: 0 });
  platformSide.on('message', (topic, payload) => {
    if (topic.endsWith('/up/events')) events.push(JSON.parse(payload.toString()) as { type?: string; version?: number });
  });
  await platformSide.subscribeAsync(`shanshui/v1/${STATION}/up/events`, { qos: 1 });
});
afterAll(async () => {
  await agent?.stop();
  await platformSide?.endAsync(true);
  await broker?.stop();
  for (const r of removals) await r();
});

const applied = (): number[] => events.filter((e) => e.type === 'config_applied').map((e) => e.version ?? -1);

test('the same config delivered again (retained on subscribe, live, a redelivery) is applied and reported once', { timeout: 120_000 }, async () => {
  const tmp = await tempDir('shanshui-agent-dup-');
  removals.push(tmp.remove);
  const dir = path.join(tmp.dir, 'agent');
  saveCredentials(dir, { stationId: STATION, clientId: STATION, username: STATION, password: 'unused-by-mosquitto', mqtt: { tcp: broker.url }, domain: 'reservoir' });
  const config = (version: number, port: number): string => JSON.stringify({ version, sources: [{ kind: 'hj212', port, host: '127.0.0.1' }] });
  const v1 = config(1, await freePort());
  const publish = (payload: string, retain: boolean): Promise<unknown> => platformSide.publishAsync(CONFIG_TOPIC, payload, { qos: 1, retain });

  // Retained before the agent subscribes, and the same config live right after it connects: the race.
  await publish(v1, true);
  agent = await createAgent({ dir, reconnectMinMs: 100, reconnectMaxMs: 1000 });
  await publish(v1, false);
  await expect.poll(() => applied(), { timeout: 30_000 }).toEqual([1]);
  // And again, retained and live, as after a platform restart: the agent listens now (it applied
  // version 1), so both reach it.
  await publish(v1, true);
  await publish(v1, false);
  // A newer version after the duplicates: configs apply one at a time in arrival order, so once
  // version 2 is applied every copy of version 1 has been handled.
  await publish(config(2, await freePort()), true);
  await expect.poll(() => applied(), { timeout: 30_000 }).toEqual([1, 2]);
  expect(agent.stats().configsApplied).toBe(2);
  expect(agent.stats().configsRejected).toBe(0);
  expect(events.filter((e) => e.type === 'config_rejected')).toEqual([]);
  expect(agent.config().version).toBe(2);
});
