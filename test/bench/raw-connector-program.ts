/**
 * Bench child: many idle MQTT devices on raw TCP sockets (a CONNECT and a SUBSCRIBE to the
 * device's exact down/command topic, as the edge agent subscribes), a few KiB each where an
 * mqtt.js client costs ~60 KiB — so 100,000 devices fit in a handful of processes. A device
 * whose connection closes reconnects after 1–3 s (jitter, as devices back off), to the next URL.
 * Driven over IPC: `connect` → `connected` (when all are connected and subscribed), `status`,
 * `close`.
 */
import net from 'node:net';

interface Device {
  readonly id: string;
  readonly password: string;
  urlIndex: number;
  socket: net.Socket | undefined;
  ready: boolean;
}

type Command =
  | { cmd: 'connect'; urls: Array<{ host: string; port: number }>; devices: Array<{ id: string; password: string; urlIndex: number }>; concurrency: number; keepaliveSec: number }
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
function connectPacket(id: string, password: string, keepalive: number): Buffer {
  const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0xc2, keepalive >> 8, keepalive & 0xff])]);
  return packet(0x10, Buffer.concat([header, utf8(id), utf8(id), utf8(password)]));
}
function subscribePacket(topic: string): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(topic), Buffer.from([1])]));
}

let urls: Array<{ host: string; port: number }> = [];
let keepalive = 1200;
const devices: Device[] = [];
let readyCount = 0;
let failures = 0;
let firstError: string | undefined;
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
  }, 1000 + Math.random() * 2000);
}

function open(d: Device): void {
  const url = urls[d.urlIndex]!;
  const socket = net.connect(url.port, url.host);
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
      readyCount++;
      if (readyCount === devices.length) waiting?.();
    } else {
      failures++;
      firstError ??= why;
    }
    pump();
  };
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(Buffer.concat([connectPacket(d.id, d.password, keepalive), subscribePacket(`shanshui/v1/${d.id}/down/command`)])));
  socket.on('data', (chunk: Buffer) => {
    if (settled) return;
    buf = Buffer.concat([buf, chunk]);
    // CONNACK (0x20 0x02 flags rc), then SUBACK (0x90 0x03 id id rc).
    if (buf.length >= 4 && buf[0] === 0x20 && buf[3] !== 0) {
      done(false, `CONNACK ${buf[3]}`);
      socket.destroy();
      return;
    }
    if (buf.length >= 9 && buf[4] === 0x90) done(true);
  });
  socket.setTimeout(60_000, () => socket.destroy());
  socket.on('error', (err) => {
    firstError ??= err.message;
  });
  socket.on('close', () => {
    if (!settled) done(false, 'closed before SUBACK');
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
    for (const d of c.devices) devices.push({ ...d, socket: undefined, ready: false });
    pending.push(...devices.slice(devices.length - c.devices.length));
    waiting = () => {
      waiting = undefined;
      send({ ev: 'connected', ok: readyCount, failed: failures, seconds: (performance.now() - started) / 1000, ...(firstError ? { firstError } : {}) });
    };
    pump();
  } else if (c.cmd === 'status') {
    send({ ev: 'status', ready: readyCount, total: devices.length, failed: failures, ...(firstError ? { firstError } : {}) });
  } else if (c.cmd === 'close') {
    closing = true;
    pending = [];
    for (const d of devices) d.socket?.destroy();
    send({ ev: 'closed' });
    setTimeout(() => process.exit(0), 100);
  }
});
send({ ev: 'ready' });
