/** ShanshuiBroker.retained(): what a platform start checks before publishing an agent config again. */
import { test, expect } from 'vitest';
import { pino } from 'pino';
import { createBroker } from './create-broker.ts';

test('retained(topic): the retained payload on exactly that topic, undefined when none or cleared', async () => {
  const broker = await createBroker({ authenticate: async () => false, acceptPublish: async () => undefined }, {}, pino({ level: 'silent' }));
  try {
    const topic = 'shanshui/v1/st-1/down/config';
    expect(await broker.retained(topic)).toBeUndefined();
    await broker.publishToDevice(topic, Buffer.from('{"version":3}'), { qos: 1, retain: true });
    await broker.publishToDevice('shanshui/v1/st-10/down/config', Buffer.from('{"version":9}'), { qos: 1, retain: true });
    expect((await broker.retained(topic))?.toString()).toBe('{"version":3}');
    expect(await broker.retained('shanshui/v1/st-2/down/config')).toBeUndefined();
    // [MQTT-3.3.1-10] an empty retained payload clears the retained message.
    await broker.publishToDevice(topic, Buffer.alloc(0), { qos: 1, retain: true });
    expect(await broker.retained(topic)).toBeUndefined();
  } finally {
    await broker.close();
  }
});
