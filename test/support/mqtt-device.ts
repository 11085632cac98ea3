/**
 * Test support: a field device's view of the broker with real mqtt.js clients, for fault tests
 * where connections die — one connection attempt that always settles, and a QoS 1 publish whose
 * outcome is either a PUBACK or the connection closing without one.
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

/** A CONNACK refusal or a failed connection attempt; `code` is the CONNACK return code when there was one. */
export class ConnectRefused extends Error {
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectRefused';
    this.code = code;
  }
}

/**
 * One connection attempt, no automatic reconnect. Resolves once CONNACK 0 arrives; rejects with
 * ConnectRefused on a non-zero return code, a socket error, the socket closing before CONNACK
 * (mqtt.connectAsync would wait forever there) or `timeoutMs`.
 */
export function connectOnce(url: string, options: IClientOptions, timeoutMs = 5000): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, ...options });
    // mqtt.js emits 'error' for socket errors at any time; without a listener that would throw.
    client.on('error', () => undefined);
    let settled = false;
    const fail = (err: ConnectRefused): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      reject(err);
    };
    const timer = setTimeout(() => fail(new ConnectRefused(`no CONNACK within ${timeoutMs} ms`, undefined)), timeoutMs);
    client.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err: Error & { code?: unknown }) => {
      fail(new ConnectRefused(err.message, typeof err.code === 'number' ? err.code : undefined, { cause: err }));
    });
    client.once('close', () => fail(new ConnectRefused('connection closed before CONNACK', undefined)));
  });
}

/** Resolves when the client's connection closes (at once if it already has). */
export function closedPromise(client: MqttClient): Promise<'closed'> {
  if (!client.connected) return Promise.resolve('closed');
  return new Promise((resolve) => client.once('close', () => resolve('closed')));
}

/**
 * Publishes at QoS 1 and reports what the broker did: 'acked' (PUBACK) or 'closed' (the broker
 * closed the connection without PUBACK, which is how MQTT 3.1.1 refuses a publish). 'timeout'
 * when neither happened within `timeoutMs`.
 */
export async function publishQos1(client: MqttClient, topic: string, payload: string | Buffer, timeoutMs = 10_000): Promise<'acked' | 'closed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  try {
    return await Promise.race([
      client.publishAsync(topic, payload, { qos: 1 }).then(
        () => 'acked' as const,
        () => 'closed' as const,
      ),
      new Promise<'closed'>((resolve) => {
        if (!client.connected) return resolve('closed');
        onClose = () => resolve('closed');
        client.once('close', onClose);
      }),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    if (onClose) client.off('close', onClose);
  }
}

/** Ends a client without waiting for the broker; never throws. */
export async function endQuietly(client: MqttClient | undefined): Promise<void> {
  if (!client) return;
  await client.endAsync(true).catch(() => undefined);
}
