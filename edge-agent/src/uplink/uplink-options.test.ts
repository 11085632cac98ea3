/** The uplink's options: defaults, refusals naming the field, and what the profile chooses. */
import { test, expect } from 'vitest';
import { MQTT_UPLINK_DEFAULTS, MqttUplinkOptionsSchema, payloadLimits, reconnectBackoff, uplinkUrl, UplinkProfileSchema } from './uplink-options.ts';

const PROFILE = { profile: '5g' as const, batchIntervalSec: 60, maxPayloadBytes: 1024, keepaliveSec: 60 };
const BASE = { deviceId: 'dev-1', password: 'x', url: 'mqtt://127.0.0.1:1883', buffer: {}, profile: PROFILE, onDownlink: () => undefined };

test('defaults fill what is not given', () => {
  const o = MqttUplinkOptionsSchema.parse(BASE);
  expect(o).toMatchObject({
    maxReadingsPerMessage: MQTT_UPLINK_DEFAULTS.maxReadingsPerMessage,
    maxInflight: MQTT_UPLINK_DEFAULTS.maxInflight,
    connectTimeoutMs: MQTT_UPLINK_DEFAULTS.connectTimeoutMs,
    refusalsToPark: 3,
    willPayload: '{"online":false}',
  });
  expect(o.profile.plainMqtt).toBe(false);
});

test('a bad URL, an unknown key or a bad profile is refused with the field named', () => {
  const path = (input: unknown): string => {
    const r = MqttUplinkOptionsSchema.safeParse(input);
    expect(r.success).toBe(false);
    return r.error!.issues.map((i) => i.path.join('.') || i.message).join(',');
  };
  expect(path({ ...BASE, url: 'http://x' })).toBe('url');
  expect(path({ ...BASE, tlsUrl: 'mqtt://x' })).toBe('tlsUrl');
  expect(path({ ...BASE, profile: { ...PROFILE, keepaliveSec: 0 } })).toBe('profile.keepaliveSec');
  expect(path({ ...BASE, extra: 1 })).toContain('extra');
  expect(UplinkProfileSchema.safeParse({ ...PROFILE, profile: 'lte' }).success).toBe(false);
});

test('TLS whenever offered; plain over a TLS endpoint only by plainMqtt, and then flagged', () => {
  expect(uplinkUrl({ url: 'mqtt://a' }, {})).toEqual({ url: 'mqtt://a', plainOverTls: false });
  expect(uplinkUrl({ url: 'mqtt://a', tlsUrl: 'mqtts://a' }, {})).toEqual({ url: 'mqtts://a', plainOverTls: false });
  expect(uplinkUrl({ url: 'mqtt://a', tlsUrl: 'mqtts://a' }, { plainMqtt: true })).toEqual({ url: 'mqtt://a', plainOverTls: true });
  expect(uplinkUrl({ url: 'mqtt://a' }, { plainMqtt: true })).toEqual({ url: 'mqtt://a', plainOverTls: false });
});

test('reconnect backoff: nbiot starts higher and waits longer than 5g; overrides win', () => {
  const firstDelays = (b: { next(): number }): number[] => Array.from({ length: 30 }, () => b.next());
  const g = firstDelays(reconnectBackoff({ profile: '5g' }, {}));
  const nb = firstDelays(reconnectBackoff({ profile: 'nbiot' }, {}));
  expect(g[0]).toBeGreaterThanOrEqual(MQTT_UPLINK_DEFAULTS.reconnectMinMs5g / 2);
  expect(g[0]).toBeLessThanOrEqual(MQTT_UPLINK_DEFAULTS.reconnectMinMs5g);
  expect(nb[0]).toBeGreaterThanOrEqual(MQTT_UPLINK_DEFAULTS.reconnectMinMsNbiot / 2);
  expect(Math.max(...g)).toBeLessThanOrEqual(MQTT_UPLINK_DEFAULTS.reconnectMaxMs5g);
  expect(Math.max(...nb)).toBeGreaterThan(MQTT_UPLINK_DEFAULTS.reconnectMaxMs5g);
  expect(Math.max(...nb)).toBeLessThanOrEqual(MQTT_UPLINK_DEFAULTS.reconnectMaxMsNbiot);
  const fast = firstDelays(reconnectBackoff({ profile: 'nbiot' }, { reconnectMinMs: 10, reconnectMaxMs: 40 }));
  expect(Math.max(...fast)).toBeLessThanOrEqual(40);
});

test('payload limits: 5g sends JSON up to maxPayloadBytes5g, nbiot CBOR up to the profile limit', () => {
  expect(payloadLimits({ profile: '5g', maxPayloadBytes: 512 }, 131072)).toEqual({ encoding: 'json', maxPayloadBytes: 131072 });
  expect(payloadLimits({ profile: 'nbiot', maxPayloadBytes: 512 }, 131072)).toEqual({ encoding: 'cbor', maxPayloadBytes: 512 });
});
