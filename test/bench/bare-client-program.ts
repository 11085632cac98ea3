/**
 * Bench support, a program: the agent's peer — one bare mqtt.js device client and nothing else
 * (no buffer, no sources, no platform code), driven over IPC (see bare-client-process.ts). It
 * connects as a station, subscribes to its own down/#, and publishes air readings at QoS 1:
 * paced (one reading per message) or as fast as a window of unacknowledged messages allows.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { BareClientCommand, BareClientReply } from './bare-client-process.ts';

const send = (r: BareClientReply): void => {
  process.send?.(r);
};

let client: MqttClient | undefined;
let seq = 0;

/** Six AQI pollutants, deterministic and plausible (the shape the agent's simulator sends). */
function values(ts: number): Record<string, number> {
  const x = Math.sin(ts / 3_600_000);
  return { co: 0.8 + 0.3 * x, no2: 30 + 10 * x, o3: 60 + 20 * x, pm10: 60 + 25 * x, pm25: 35 + 15 * x, so2: 10 + 3 * x };
}

function publish(c: Extract<BareClientCommand, { cmd: 'publish' }>): Promise<{ readings: number; firstPublishAt: number; lastAckAt: number; errors: number }> {
  const cl = client;
  if (!cl) return Promise.reject(new Error('not connected'));
  const topic = `shanshui/v1/${c.id}/up/readings`;
  const now = (): number => performance.timeOrigin + performance.now();
  const first = now();
  const deadline = first + c.maxSeconds * 1000;
  let sent = 0;
  let inflight = 0;
  let acked = 0;
  let errors = 0;
  let lastAckAt = first;
  let timer: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    const pump = (): void => {
      while (inflight < c.window && sent < c.readings && now() < deadline) {
        if (c.messagesPerSec !== undefined) {
          const wait = first + (sent / c.readingsPerMessage / c.messagesPerSec) * 1000 - now();
          if (wait > 0) {
            timer ??= setTimeout(() => {
              timer = undefined;
              pump();
            }, Math.max(1, Math.floor(wait)));
            return;
          }
        }
        const n = Math.min(c.readingsPerMessage, c.readings - sent);
        const readings = [];
        for (let j = 0; j < n; j++) {
          const ts = c.tsStart + sent + j;
          readings.push({ ts, values: values(ts) });
        }
        const payload = n === 1 ? JSON.stringify({ seq: ++seq, ...readings[0] }) : JSON.stringify({ seq: ++seq, readings });
        sent += n;
        inflight++;
        cl.publish(topic, payload, { qos: 1 }, (err) => {
          inflight--;
          if (err) errors++;
          else {
            acked += n;
            lastAckAt = now();
          }
          pump();
        });
      }
      if (inflight === 0 && (sent >= c.readings || now() >= deadline)) resolve({ readings: acked, firstPublishAt: first, lastAckAt, errors });
    };
    pump();
  });
}

process.on('message', (raw) => {
  const c = raw as BareClientCommand;
  const fail = (err: unknown): void => send({ ev: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  if (c.cmd === 'connect') {
    mqtt
      .connectAsync(c.url, { clientId: c.id, username: c.id, password: c.password, protocolVersion: 4, clean: true, keepalive: 60, reconnectPeriod: 0 })
      .then(async (cl) => {
        client = cl;
        cl.on('error', () => undefined);
        await cl.subscribeAsync(`shanshui/v1/${c.id}/down/#`, { qos: 1 });
        send({ ev: 'connected' });
      }, fail);
  } else if (c.cmd === 'publish') {
    publish(c).then((r) => send({ ev: 'published', ...r }), fail);
  } else if (c.cmd === 'stop') {
    (client?.endAsync(true) ?? Promise.resolve()).then(() => {
      send({ ev: 'stopped' });
      process.disconnect?.();
    }, fail);
  }
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
