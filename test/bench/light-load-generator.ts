/**
 * Bench support, a program: the light load generator — the same devices and the same readings
 * as load-generator.ts (mqtt.js), driven by the same IPC messages (load-generator-protocol.ts),
 * but on raw TCP sockets with hand-encoded packets (light-mqtt-packets.ts), so on a 2-core
 * machine the load leaves the cores to what is measured. Per device: QoS 1 PUBLISHes written
 * back to back (one socket write per turn), a window of unacknowledged packet ids, PUBACKs
 * read straight off the socket's bytes, the PUBACK latency of every message. Paced like the
 * mqtt.js generator (`ratePerSec`). MQTT 3.1.1 by default, MQTT 5 with `protocolVersion: 5`.
 */
import net from 'node:net';
import { AirStation } from './air-reading.ts';
import type { AirValues } from './air-reading.ts';
import { CONNACK, DISCONNECT, DISCONNECT_PACKET, PINGREQ_PACKET, PUBACK, PUBLISH, PacketReader, PublishEncoder, SUBACK, connectPacket, pubackPacket, subscribePacket } from './light-mqtt-packets.ts';
import type { MqttLevel } from './light-mqtt-packets.ts';
import type { GeneratorCommand, GeneratorDevice, GeneratorEvent, PublishResult } from './load-generator-protocol.ts';
import { PublishRun, nowMs } from './publish-run.ts';
import type { PublishCommand } from './publish-run.ts';

const send = (e: GeneratorEvent): void => {
  process.send?.(e);
};

/** What the device's socket says to the publish run (set while one runs). */
interface DeviceRun {
  /** PUBACK for packet `id`; `ok` false for an MQTT 5 reason code ≥ 0x80. */
  acked(id: number, ok: boolean): void;
  closed(): void;
}

interface Device {
  readonly spec: GeneratorDevice;
  readonly socket: net.Socket;
  readonly station: AirStation;
  /** The values JSON of the device's first VALUES_RING readings, reused round and round. */
  readonly ring: string[];
  readonly encoder: PublishEncoder;
  open: boolean;
  lastWriteAt: number;
  run: DeviceRun | undefined;
}

const devices: Device[] = [];
let connectedNow = 0;
let level: MqttLevel = 4;
let keepaliveTimer: NodeJS.Timeout | undefined;

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 1883) };
}

function connectOne(url: string, spec: GeneratorDevice, keepaliveSec: number, subscribeDown: boolean): Promise<Device> {
  const { host, port } = hostPort(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    socket.setNoDelay(true);
    const device: Device = {
      spec,
      socket,
      station: new AirStation(spec.id, spec.index),
      ring: [],
      encoder: new PublishEncoder(level, `shanshui/v1/${spec.id}/up/readings`),
      open: false,
      lastWriteAt: performance.now(),
      run: undefined,
    };
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      socket.setTimeout(0);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        device.open = true;
        connectedNow++;
        resolve(device);
      }
    };
    const reader = new PacketReader((first, bytes, start, end) => {
      const type = first >> 4;
      if (type === PUBACK) {
        const id = (bytes[start]! << 8) | bytes[start + 1]!;
        // MQTT 5: a reason code may follow (absent = success).
        device.run?.acked(id, end - start < 3 || bytes[start + 2]! < 0x80);
      } else if (type === PUBLISH) {
        // A command on the down topic: acknowledge QoS 1 (the generator ignores its content).
        if (((first >> 1) & 3) === 1) {
          const topicEnd = start + 2 + ((bytes[start]! << 8) | bytes[start + 1]!);
          socket.write(pubackPacket((bytes[topicEnd]! << 8) | bytes[topicEnd + 1]!));
        }
      } else if (type === CONNACK) {
        const code = bytes[start + 1]!;
        if (code !== 0) settle(new Error(`CONNACK ${code}`));
        else if (subscribeDown) socket.write(subscribePacket(level, `shanshui/v1/${spec.id}/down/#`));
        else settle();
      } else if (type === SUBACK) {
        const code = bytes[end - 1]!;
        if (code >= 0x80) settle(new Error(`SUBACK ${code}`));
        else settle();
      } else if (type === DISCONNECT) {
        socket.destroy();
      }
    });
    socket.on('connect', () => socket.write(connectPacket(level, spec.id, spec.password, keepaliveSec)));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.setTimeout(60_000, () => socket.destroy(new Error('no CONNACK within 60 s')));
    socket.on('error', (err) => settle(err));
    socket.on('close', () => {
      settle(new Error('closed before CONNACK'));
      if (device.open) {
        device.open = false;
        connectedNow--;
        device.run?.closed();
      }
    });
  });
}

async function connectAll(c: Extract<GeneratorCommand, { cmd: 'connect' }>): Promise<void> {
  level = c.protocolVersion ?? 4;
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const timer = setInterval(() => send({ ev: 'progress', readingsAcked: 0, connected: connectedNow }), 2000);
  const worker = async (): Promise<void> => {
    while (next < c.devices.length) {
      const spec = c.devices[next++]!;
      try {
        devices.push(await connectOne(c.url, spec, c.keepaliveSec, c.subscribeDown));
      } catch (err) {
        failed++;
        firstError ??= `${spec.id}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.devices.length) }, worker));
  clearInterval(timer);
  // Keep-alive: a device that wrote nothing for half the interval pings (under load none does).
  const halfMs = (c.keepaliveSec * 1000) / 2;
  clearInterval(keepaliveTimer);
  keepaliveTimer = setInterval(() => {
    const now = performance.now();
    for (const d of devices) {
      if (d.open && now - d.lastWriteAt > halfMs) {
        d.lastWriteAt = now;
        d.socket.write(PINGREQ_PACKET);
      }
    }
  }, Math.max(1000, halfMs / 2));
  keepaliveTimer.unref();
  const rssKiB = Math.round(process.memoryUsage().rss / 1024);
  send({ ev: 'connected', ok: devices.length, failed, seconds: (performance.now() - started) / 1000, rssKiB, ...(firstError ? { firstError } : {}) });
}

/**
 * Distinct simulated values per device before they repeat: simulating and printing six numbers
 * per reading would be most of this generator's CPU. The timestamps stay unique (every reading
 * is its own point); the values cycle through 256 plausible ones (no flat line for the rules).
 */
const VALUES_RING = 256;

/** The values object of the mqtt.js generator's JSON, written directly. */
function valuesJson(v: AirValues): string {
  return `{"co":${v.co},"no2":${v.no2},"o3":${v.o3},"pm10":${v.pm10},"pm25":${v.pm25},"so2":${v.so2}}`;
}

function ringValues(d: Device, k: number, ts: number): string {
  const i = k % VALUES_RING;
  return (d.ring[i] ??= valuesJson(d.station.values(ts)));
}

function publishAll(c: PublishCommand): Promise<PublishResult> {
  const window = Math.max(1, Math.min(c.window, 65_535));
  return new Promise((resolve) => {
    const run = new PublishRun(c, devices.length, (readingsAcked) => send({ ev: 'progress', readingsAcked, connected: connectedNow }), (r) => {
      for (const d of devices) d.run = undefined;
      resolve(r);
    });
    for (const d of devices) {
      let sent = 0;
      let inflight = 0;
      let stopped = !d.open;
      let finished = false;
      // Packet ids 1..window; sentAt[id] > 0 while that id is unacknowledged.
      const sentAt = new Float64Array(window + 1);
      const free: number[] = [];
      for (let id = window; id >= 1; id--) free.push(id);
      const payloads: string[] = [];
      const finish = (): void => {
        if (finished) return;
        finished = true;
        run.finished(pump);
      };
      const pump = (): void => {
        let bytes = 0;
        let t0 = nowMs();
        while (!stopped && inflight < window && sent < c.messagesPerDevice) {
          const admitted = run.admit(t0, pump);
          if (admitted === 'stop') stopped = true;
          if (admitted !== 'go') break;
          const k = c.readingOffset + sent * c.readingsPerMessage;
          const seq = c.seqStart + sent;
          let payload: string;
          if (c.readingsPerMessage === 1) {
            const ts = c.tsBase + k;
            payload = `{"seq":${seq},"ts":${ts},"values":${ringValues(d, k, ts)}}`;
          } else {
            const parts: string[] = [];
            for (let j = 0; j < c.readingsPerMessage; j++) {
              const ts = c.tsBase + k + j;
              parts.push(`{"ts":${ts},"values":${ringValues(d, k + j, ts)}}`);
            }
            payload = `{"seq":${seq},"readings":[${parts.join(',')}]}`;
          }
          payloads.push(payload);
          bytes += d.encoder.size(payload.length);
          sent++;
          inflight++;
          if (payloads.length >= 64) t0 = nowMs();
        }
        if (payloads.length > 0) {
          // One write for every packet of this turn.
          const out = Buffer.allocUnsafe(bytes);
          let at = 0;
          for (const p of payloads) {
            const id = free.pop()!;
            sentAt[id] = t0;
            at = d.encoder.write(out, at, id, p);
          }
          payloads.length = 0;
          d.lastWriteAt = performance.now();
          d.socket.write(out);
        }
        if (inflight === 0 && (stopped || sent >= c.messagesPerDevice)) finish();
      };
      let pumpQueued = false;
      const pumpSoon = (): void => {
        if (pumpQueued) return;
        pumpQueued = true;
        // After every PUBACK in this chunk is counted: one pump (one write) per socket read.
        queueMicrotask(() => {
          pumpQueued = false;
          pump();
        });
      };
      d.run = {
        acked(id, ok) {
          const at = sentAt[id] ?? 0;
          if (at === 0) return;
          sentAt[id] = 0;
          free.push(id);
          inflight--;
          if (!ok) {
            run.failed(`${d.spec.id}: PUBACK with an error reason code`);
            stopped = true;
          } else {
            run.acked(at);
          }
          pumpSoon();
        },
        // A refused publish closes the connection (MQTT 3.1.1 has no negative PUBACK): this device stops.
        closed() {
          if (finished) return;
          stopped = true;
          run.failed(`${d.spec.id}: connection closed while publishing`);
          finish();
        },
      };
      if (stopped) {
        run.failed(`${d.spec.id}: not connected`);
        finish();
      } else {
        pump();
      }
    }
  });
}

function closeAll(): void {
  clearInterval(keepaliveTimer);
  for (const d of devices) {
    if (d.open) d.socket.end(DISCONNECT_PACKET);
    d.socket.destroySoon();
  }
}

process.on('message', (raw) => {
  const c = raw as GeneratorCommand;
  const fail = (err: unknown): void => send({ ev: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  if (c.cmd === 'connect') connectAll(c).catch(fail);
  else if (c.cmd === 'publish') publishAll(c).then((r) => send({ ev: 'published', ...r }), fail);
  else if (c.cmd === 'close') {
    closeAll();
    send({ ev: 'closed' });
    process.disconnect?.();
  }
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
