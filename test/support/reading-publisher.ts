/**
 * Test support: a device that publishes air readings without end at QoS 1 and keeps the books a
 * fault test needs — which readings it sent and which the broker acknowledged (PUBACK).
 *
 * Reading n of a device has seq n, timestamp `baseTs + n` and pm25 = `valueOf(n)`, so every
 * reading is one InfluxDB point (station, time) and can be checked by value. When the connection
 * dies the device reconnects and resends, oldest first, every reading not yet acknowledged (what
 * a device with a QoS 1 session or an edge buffer does); a reading is counted as acknowledged only
 * when its own PUBACK arrived, never by inference.
 */
import type { MqttClient } from 'mqtt';
import { closedPromise, connectOnce, endQuietly } from './mqtt-device.ts';

export interface ReadingPublisherOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  readonly deviceId: string;
  readonly password: string;
  /** Timestamp of seq 0, epoch ms. */
  readonly baseTs: number;
  /** Publishes in flight at once on one connection. Default 1 (strict order: n+1 is sent after n's PUBACK). */
  readonly window?: number;
  /** Pause after each new reading, ms. Default 20. */
  readonly intervalMs?: number;
  /** Pause between connection attempts, ms. Default 150. */
  readonly reconnectMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function pm25Of(seq: number): number {
  return seq % 1000;
}

export class ReadingPublisher {
  readonly deviceId: string;
  readonly topic: string;
  /** Readings sent at least once: seq → timestamp. */
  readonly sent = new Map<number, number>();
  /** Readings whose PUBACK arrived. */
  readonly acked = new Set<number>();
  /** Successful connections (CONNACK 0). */
  connects = 0;
  /** Connections that died with publishes still unacknowledged. */
  interrupted = 0;
  /** Called as each PUBACK arrives (before anything else runs), e.g. to crash the platform right then. */
  onAck: ((seq: number) => void) | undefined;
  readonly #opts: Required<ReadingPublisherOptions>;
  #nextSeq = 1;
  /** Sent on an earlier connection, not acknowledged: resent first, in order. */
  #retry: number[] = [];
  #newReadings = true;
  #running = false;
  #loop: Promise<void> | undefined;
  #client: MqttClient | undefined;

  constructor(options: ReadingPublisherOptions) {
    this.#opts = { window: 1, intervalMs: 20, reconnectMs: 150, ...options };
    this.deviceId = options.deviceId;
    this.topic = `shanshui/v1/${options.deviceId}/up/readings`;
  }

  tsOf(seq: number): number {
    return this.#opts.baseTs + seq;
  }

  payloadOf(seq: number): string {
    return JSON.stringify({ seq, ts: this.tsOf(seq), values: { pm25: pm25Of(seq) } });
  }

  /** Sent and never acknowledged (so far). */
  unacked(): number[] {
    return [...this.sent.keys()].filter((s) => !this.acked.has(s)).sort((a, b) => a - b);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Stops taking new readings, keeps resending the unacknowledged ones until each has its PUBACK
   * or `drainMs` passes, then closes the connection.
   */
  async stop(drainMs = 30_000): Promise<void> {
    this.#newReadings = false;
    const deadline = Date.now() + drainMs;
    while (this.#running && this.unacked().length > 0 && Date.now() < deadline) await sleep(50);
    this.#running = false;
    await endQuietly(this.#client);
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (!this.#newReadings && this.unacked().length === 0) break;
      let client: MqttClient;
      try {
        client = await connectOnce(this.#opts.url, { clientId: this.deviceId, username: this.deviceId, password: this.#opts.password, clean: true }, 3000);
      } catch {
        await sleep(this.#opts.reconnectMs);
        continue;
      }
      this.#client = client;
      this.connects++;
      try {
        await this.#pump(client);
      } finally {
        this.#client = undefined;
        await endQuietly(client);
      }
    }
    this.#running = false;
  }

  /** Publishes on one connection until it closes or there is nothing left to send. */
  async #pump(client: MqttClient): Promise<void> {
    let closed = false;
    const onClose = closedPromise(client).then(() => {
      closed = true;
    });
    const outstanding = new Set<number>();
    const failed: number[] = [];
    const inflight = new Set<Promise<void>>();
    try {
      for (;;) {
        if (closed || !this.#running) return;
        let seq = this.#retry.shift();
        let fresh = false;
        if (seq === undefined && this.#newReadings) {
          seq = this.#nextSeq++;
          fresh = true;
        }
        if (seq === undefined) {
          if (outstanding.size === 0) return; // everything acknowledged, or failed and due for a resend
          await Promise.race([onClose, ...inflight]);
          continue;
        }
        if (this.acked.has(seq)) continue;
        this.sent.set(seq, this.tsOf(seq));
        outstanding.add(seq);
        const s = seq;
        const p: Promise<void> = client.publishAsync(this.topic, this.payloadOf(s), { qos: 1 }).then(
          () => {
            this.acked.add(s);
            outstanding.delete(s);
            this.onAck?.(s);
          },
          () => {
            outstanding.delete(s);
            failed.push(s);
          },
        );
        const tracked = p.finally(() => inflight.delete(tracked));
        inflight.add(tracked);
        while (inflight.size >= this.#opts.window && !closed) await Promise.race([onClose, ...inflight]);
        if (fresh && this.#opts.intervalMs > 0) await Promise.race([onClose, sleep(this.#opts.intervalMs)]);
      }
    } finally {
      // Whatever this connection did not get acknowledged is resent on the next one, oldest first.
      const left = [...outstanding, ...failed].filter((s) => !this.acked.has(s));
      if (left.length > 0 && closed) this.interrupted++;
      this.#retry = [...new Set([...this.#retry, ...left])].sort((a, b) => a - b);
    }
  }
}
