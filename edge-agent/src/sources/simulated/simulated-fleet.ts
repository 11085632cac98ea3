/**
 * A fleet of simulated stations, each a real MQTT client publishing QoS 1 readings on its own
 * topic, numbered by `seq`. Used by the demo and by load benchmarks.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { encodePayload, upTopic } from '@shanshui/models';
import type { Domain, PayloadEncoding } from '@shanshui/models';
import { createSimulationState, simulateValues } from './simulate-reading.ts';

export interface SimulatedStation {
  readonly id: string;
  readonly domain: Domain;
  readonly password: string;
}

export interface SimulatedFleetOptions {
  /** mqtt://host:port of the platform. */
  readonly url: string;
  readonly stations: readonly SimulatedStation[];
  /** Seconds between readings of one station. Default 10. */
  readonly intervalSec?: number;
  /** Payload encoding. Default json. */
  readonly encoding?: PayloadEncoding;
  readonly logger?: Logger;
}

export interface SimulatedFleet {
  /** Readings acknowledged by the platform (PUBACK). */
  acked(): number;
  stop(): Promise<void>;
}

export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const intervalMs = (options.intervalSec ?? 10) * 1000;
  const encoding = options.encoding ?? 'json';
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  let acked = 0;
  options.stations.forEach((station, index) => {
    const client = mqtt.connect(options.url, {
      clientId: station.id,
      username: station.id,
      password: station.password,
      clean: false,
      reconnectPeriod: 2000,
      keepalive: 60,
      will: { topic: upTopic(station.id, 'status'), payload: Buffer.from(JSON.stringify({ online: false })), qos: 1, retain: false },
    });
    client.on('error', (err) => options.logger?.warn({ station: station.id, err }, 'simulated station: MQTT error'));
    clients.push(client);
    const state = createSimulationState(index);
    let seq = 0;
    const publish = (): void => {
      const ts = Date.now();
      const payload = encodePayload({ seq: ++seq, ts, values: simulateValues(station.domain, state, ts) }, encoding);
      client.publish(upTopic(station.id, 'readings'), payload, { qos: 1 }, (err) => {
        if (!err) acked++;
      });
    };
    client.once('connect', () => {
      client.publish(upTopic(station.id, 'status'), JSON.stringify({ online: true, firmware: 'sim-1.0' }), { qos: 1 });
      publish();
    });
    // Spread the stations over the interval so the load is even.
    const start = setTimeout(() => timers.push(setInterval(publish, intervalMs)), (index * intervalMs) / Math.max(1, options.stations.length));
    timers.push(start);
  });
  return {
    acked: () => acked,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    },
  };
}
