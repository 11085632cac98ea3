/**
 * Ingest as a subscriber of an external broker (Mosquitto, EMQX) for scale-out: device
 * authentication and ACL are that broker's job; this client subscribes to every device's `up/`
 * topics with QoS 1 in a persistent session and sends each PUBACK only after the message is
 * durable in our spool (mqtt.js `customHandleAcks`), so the broker redelivers whatever was not.
 * With EMQX, point `subscription` at `$share/ingest/shanshui/v1/+/up/+` to run several workers.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { parseTopic, urlForLog } from '@shanshui/models';
import type { ParsedTopic } from '@shanshui/models';

export interface ExternalSubscriberOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** Topic filter. Default `shanshui/v1/+/up/+`. */
  readonly subscription?: string;
  readonly accept: (deviceId: string, topic: ParsedTopic, payload: Buffer) => Promise<void>;
  readonly logger: Logger;
}

export interface ExternalSubscriber {
  connected(): boolean;
  close(): Promise<void>;
}

export async function startExternalSubscriber(options: ExternalSubscriberOptions): Promise<ExternalSubscriber> {
  const log = options.logger.child({ component: 'external-subscriber' });
  const subscription = options.subscription ?? 'shanshui/v1/+/up/+';
  let client: MqttClient | undefined;
  let closing = false;
  client = await mqtt.connectAsync(options.url, {
    clientId: options.clientId,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    // customHandleAcks needs MQTT 5; the session outlives disconnects so the broker queues for us.
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 7 * 86_400 },
    reconnectPeriod: 1000,
    customHandleAcks(topicName, message, _packet, done) {
      const topic = parseTopic(topicName);
      if (!topic || topic.direction !== 'up') {
        done(0); // not ours: acknowledge and ignore
        return;
      }
      options.accept(topic.deviceId, topic, message).then(
        () => done(0),
        (err: unknown) => {
          // Not durable (spool full): no PUBACK; drop the connection so the broker redelivers later.
          log.warn({ err, topic: topicName }, 'message not accepted; reconnecting for redelivery');
          if (!closing) client?.end(true, () => setTimeout(() => !closing && client?.reconnect(), 1000));
        },
      );
    },
  });
  client.on('error', (err) => log.warn({ err }, 'external broker error'));
  const granted = await client.subscribeAsync(subscription, { qos: 1 });
  if (granted.some((g) => g.qos > 2)) throw new Error(`external broker refused the subscription ${subscription}`);
  log.info({ url: urlForLog(options.url), subscription }, 'subscribed to the external broker');
  return {
    connected: () => client?.connected ?? false,
    async close() {
      closing = true;
      await client?.endAsync(true);
      client = undefined;
    },
  };
}
