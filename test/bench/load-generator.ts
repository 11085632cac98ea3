/**
 * Bench support, a program: real mqtt.js device clients driven by the bench over IPC, in a
 * process of their own so the load never shares the platform's (or the bench's) event loop.
 * Each device publishes QoS 1 readings keeping a window of unacknowledged publishes, like an
 * edge agent draining its backlog.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { AirStation } from './air-reading.ts';
import type { GeneratorCommand, GeneratorDevice, GeneratorEvent, PublishResult } from './load-generator-protocol.ts';
import { PublishRun, nowMs } from './publish-run.ts';
import type { PublishCommand } from './publish-run.ts';

const send = (e: GeneratorEvent): void => {
  process.send?.(e);
};

interface Device {
  readonly spec: GeneratorDevice;
  readonly client: MqttClient;
  readonly station: AirStation;
}

let devices: Device[] = [];
let connectedNow = 0;

function connectOne(url: string, spec: GeneratorDevice, keepaliveSec: number, subscribeDown: boolean): Promise<Device> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: spec.id,
      ...(spec.password ? { username: spec.id, password: spec.password } : {}),
      protocolVersion: 4,
      clean: true,
      keepalive: keepaliveSec,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
    });
    const fail = (err: Error): void => {
      client.end(true);
      reject(err);
    };
    client.once('error', fail);
    client.once('connect', () => {
      client.off('error', fail);
      client.on('error', () => undefined);
      client.on('close', () => connectedNow--);
      connectedNow++;
      const device = { spec, client, station: new AirStation(spec.id, spec.index) };
      if (!subscribeDown) return resolve(device);
      client.subscribe(`shanshui/v1/${spec.id}/down/#`, { qos: 1 }, (err) => (err ? fail(err) : resolve(device)));
    });
  });
}

async function connectAll(c: Extract<GeneratorCommand, { cmd: 'connect' }>): Promise<void> {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const out: Device[] = [];
  const timer = setInterval(() => send({ ev: 'progress', readingsAcked: 0, connected: connectedNow }), 2000);
  const worker = async (): Promise<void> => {
    while (next < c.devices.length) {
      const spec = c.devices[next++]!;
      try {
        out.push(await connectOne(c.url, spec, c.keepaliveSec, c.subscribeDown));
      } catch (err) {
        failed++;
        firstError ??= `${spec.id}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.devices.length) }, worker));
  clearInterval(timer);
  devices.push(...out);
  const rssKiB = Math.round(process.memoryUsage().rss / 1024);
  send({ ev: 'connected', ok: out.length, failed, seconds: (performance.now() - started) / 1000, rssKiB, ...(firstError ? { firstError } : {}) });
}

function publishAll(c: PublishCommand): Promise<PublishResult> {
  return new Promise((resolve) => {
    const run = new PublishRun(c, devices.length, (readingsAcked) => send({ ev: 'progress', readingsAcked, connected: connectedNow }), resolve);
    for (const d of devices) {
      let sent = 0;
      let inflight = 0;
      let stopped = false;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        run.finished(pump);
      };
      // A refused publish closes the connection (MQTT 3.1.1 has no negative PUBACK): this device stops.
      d.client.once('close', () => {
        if (finished) return;
        stopped = true;
        run.failed(`${d.spec.id}: connection closed while publishing`);
        finish();
      });
      const topic = `shanshui/v1/${d.spec.id}/up/readings`;
      const pump = (): void => {
        while (!stopped && inflight < c.window && sent < c.messagesPerDevice) {
          const admitted = run.admit(nowMs(), pump);
          if (admitted === 'stop') stopped = true;
          if (admitted !== 'go') break;
          const k = c.readingOffset + sent * c.readingsPerMessage;
          const seq = c.seqStart + sent;
          let payload: string;
          if (c.readingsPerMessage === 1) {
            const ts = c.tsBase + k;
            payload = JSON.stringify({ seq, ts, values: d.station.values(ts) });
          } else {
            const readings = [];
            for (let j = 0; j < c.readingsPerMessage; j++) {
              const ts = c.tsBase + k + j;
              readings.push({ ts, values: d.station.values(ts) });
            }
            payload = JSON.stringify({ seq, readings });
          }
          sent++;
          inflight++;
          const t = nowMs();
          d.client.publish(topic, payload, { qos: 1 }, (err) => {
            inflight--;
            if (err) {
              run.failed(`${d.spec.id}: ${err.message}`);
              stopped = true;
            } else {
              run.acked(t);
            }
            pump();
          });
        }
        if (inflight === 0 && (stopped || sent >= c.messagesPerDevice)) finish();
      };
      pump();
    }
  });
}

process.on('message', (raw) => {
  const c = raw as GeneratorCommand;
  const fail = (err: unknown): void => send({ ev: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  if (c.cmd === 'connect') connectAll(c).catch(fail);
  else if (c.cmd === 'publish') publishAll(c).then((r) => send({ ev: 'published', ...r }), fail);
  else if (c.cmd === 'close') {
    Promise.all(devices.map((d) => d.client.endAsync(true).catch(() => undefined))).then(() => {
      send({ ev: 'closed' });
      process.disconnect?.();
    }, fail);
  }
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
