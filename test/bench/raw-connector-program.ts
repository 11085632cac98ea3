/**
 * Bench child: many idle MQTT devices on raw TCP sockets, each doing what the edge agent does
 * (uplink-connection.ts): a clean-session CONNECT with a QoS 1 last will `{online:false}` on its
 * up/status, then one SUBSCRIBE (QoS 1) to its exact down/config and down/command — a few KiB
 * each where an mqtt.js client costs ~60 KiB, so 100,000 devices fit in a handful of processes.
 * A device whose connection closes reconnects with the edge agent's default backoff (5g profile:
 * equal jitter from 1 s, doubling up to 60 s; reset by a connection that got its SUBACK), to the
 * next URL (as a load balancer in front of the nodes would send it elsewhere).
 * Devices come from many addresses, as real ones do: each 500 share a loopback source address
 * (127.{sourceNet}.{n}.1; all of 127/8 is this host's). From one address, 100,000 connections
 * exhaust its ephemeral ports (28,232 here), and the kernel's search for a free one in connect()
 * cost 0.5–0.7 ms of system CPU per attempt past 15,000 held — a third of this machine in a
 * reconnect storm, charged to the devices, that no real fleet puts on the platform's cores.
 * Driven over IPC: `connect` → `connected` (when all are connected and subscribed), `status`,
 * `close`.
 */
import net from 'node:net';
import { backoffDelayMs } from '@shanshui/models';

interface Device {
  readonly id: string;
  readonly password: string;
  /** Its loopback source address (see above). */
  readonly localAddress: string;
  urlIndex: number;
  socket: net.Socket | undefined;
  ready: boolean;
  /** Failed attempts since the last success (the backoff's retry number). */
  retries: number;
  /** Its CONNECT and SUBSCRIBE, encoded at its first attempt (the same bytes every time). */
  hello: Buffer | undefined;
}

// A refused attempt's error needs its code, not a stack: capturing one was a sixth of the attempt's CPU.
Error.stackTraceLimit = 0;

/** Devices per source address: a few hundred ports of the 28,232 each address has. */
const DEVICES_PER_ADDRESS = 500;

/** The edge agent's defaults (edge-agent/src/uplink/uplink-options.ts, 5g profile). */
const BACKOFF = { minMs: 1000, maxMs: 60_000 };

type Command =
  | {
      cmd: 'connect';
      urls: Array<{ host: string; port: number }>;
      devices: Array<{ id: string; password: string; urlIndex: number }>;
      concurrency: number;
      keepaliveSec: number;
      /** Second octet of this process's source addresses (127.{sourceNet}.n.1), one per device process. */
      sourceNet: number;
    }
  | { cmd: 'status' }
  | { cmd: 'close' };

const send = (m: unknown): void => void process.send?.(m);

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}
function remaining(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remaining(body.length), body]);
}
const WILL = Buffer.from('{"online":false}');
/** Flags: user name, password, will QoS 1, will flag, clean session. */
function connectPacket(id: string, password: string, keepalive: number): Buffer {
  const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0xc0 | 0x08 | 0x04 | 0x02, keepalive >> 8, keepalive & 0xff])]);
  const will = Buffer.concat([utf8(`shanshui/v1/${id}/up/status`), Buffer.from([WILL.length >> 8, WILL.length & 0xff]), WILL]);
  return packet(0x10, Buffer.concat([header, utf8(id), will, utf8(id), utf8(password)]));
}
function subscribePacket(topics: readonly string[]): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), ...topics.map((t) => Buffer.concat([utf8(t), Buffer.from([1])]))]));
}

let urls: Array<{ host: string; port: number }> = [];
let keepalive = 1200;
const devices: Device[] = [];
let readyCount = 0;
let failures = 0;
let firstError: string | undefined;
/** Failed attempts by cause: a socket error's code, `CONNACK n`, `no SUBACK within 30 s`, `closed before SUBACK`. */
const failedBy: Record<string, number> = {};
let pending: Device[] = [];
let inFlight = 0;
let concurrency = 100;
let waiting: (() => void) | undefined;

function pump(): void {
  while (inFlight < concurrency && pending.length > 0) {
    const d = pending.shift()!;
    inFlight++;
    open(d);
  }
}

function retry(d: Device): void {
  d.urlIndex = (d.urlIndex + 1) % urls.length;
  setTimeout(() => {
    pending.push(d);
    pump();
  }, backoffDelayMs(d.retries++, BACKOFF));
}

function open(d: Device): void {
  const url = urls[d.urlIndex]!;
  const socket = net.connect({ port: url.port, host: url.host, localAddress: d.localAddress });
  d.socket = socket;
  let settled = false;
  let buf = Buffer.alloc(0);
  const done = (ok: boolean, why?: string): void => {
    if (settled) return;
    settled = true;
    inFlight--;
    if (ok) {
      // Idle from now on: keep-alive is the broker's business (1200 s here), not a handshake timeout.
      socket.setTimeout(0);
      d.ready = true;
      d.retries = 0;
      readyCount++;
      if (readyCount === devices.length) waiting?.();
    } else {
      failures++;
      firstError ??= why;
      const cause = why ?? 'unknown';
      failedBy[cause] = (failedBy[cause] ?? 0) + 1;
    }
    pump();
  };
  socket.setNoDelay(true);
  d.hello ??= Buffer.concat([connectPacket(d.id, d.password, keepalive), subscribePacket([`shanshui/v1/${d.id}/down/config`, `shanshui/v1/${d.id}/down/command`])]);
  const hello = d.hello;
  socket.on('connect', () => socket.write(hello));
  socket.on('data', (chunk: Buffer) => {
    if (settled) return;
    buf = Buffer.concat([buf, chunk]);
    // CONNACK (0x20 0x02 flags rc), then SUBACK (0x90 0x04 id id rc rc).
    if (buf.length >= 4 && buf[0] === 0x20 && buf[3] !== 0) {
      done(false, `CONNACK ${buf[3]}`);
      socket.destroy();
      return;
    }
    if (buf.length >= 10 && buf[4] === 0x90) {
      if (buf[8] === 0x80 || buf[9] === 0x80) {
        done(false, 'SUBACK refused a filter');
        socket.destroy();
        return;
      }
      done(true);
    }
  });
  // The agent's CONNECT → CONNACK timeout (connectTimeoutMs).
  let cause: string | undefined;
  socket.setTimeout(30_000, () => {
    cause ??= 'no SUBACK within 30 s';
    socket.destroy();
  });
  socket.on('error', (err: Error & { code?: string }) => {
    firstError ??= err.message;
    cause ??= err.code ?? err.message;
  });
  socket.on('close', () => {
    if (!settled) done(false, cause ?? 'closed before SUBACK');
    if (d.ready) {
      d.ready = false;
      readyCount--;
    }
    d.socket = undefined;
    if (!closing) retry(d);
  });
}

let closing = false;
process.on('message', (raw) => {
  const c = raw as Command;
  if (c.cmd === 'connect') {
    urls = c.urls;
    keepalive = c.keepaliveSec;
    concurrency = c.concurrency;
    const started = performance.now();
    for (const d of c.devices) {
      const n = Math.floor(devices.length / DEVICES_PER_ADDRESS);
      if (n > 255) throw new Error(`more than ${256 * DEVICES_PER_ADDRESS} devices in one process`);
      devices.push({ ...d, localAddress: `127.${c.sourceNet}.${n}.1`, socket: undefined, ready: false, retries: 0, hello: undefined });
    }
    pending.push(...devices.slice(devices.length - c.devices.length));
    waiting = () => {
      waiting = undefined;
      send({ ev: 'connected', ok: readyCount, failed: failures, seconds: (performance.now() - started) / 1000, ...(firstError ? { firstError } : {}) });
    };
    pump();
  } else if (c.cmd === 'status') {
    send({ ev: 'status', ready: readyCount, total: devices.length, failed: failures, failedBy, ...(firstError ? { firstError } : {}) });
  } else if (c.cmd === 'close') {
    closing = true;
    pending = [];
    for (const d of devices) d.socket?.destroy();
    send({ ev: 'closed' });
    setTimeout(() => process.exit(0), 100);
  }
});
send({ ev: 'ready' });
