/**
 * A fuzz run of malformed MQTT packets and HTTP bodies while a well-behaved device publishes:
 * the platform ends healthy, and every reading it acknowledged is in InfluxDB.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';
import { ReadingPublisher } from '../support/reading-publisher.ts';
import { connectPacket, publishQos1Packet } from '../support/raw-mqtt.ts';
import { seededRandom as rng } from '@shanshui/models/testing';

let tp: TestPlatform;
beforeAll(async () => {
  tp = await startTestPlatform({ maxMessagesPerSec: 10_000, maxMessagesBurst: 10_000 });
});
afterAll(async () => {
  await tp?.close();
});

/** Sends bytes on a fresh TCP connection and waits until the broker closes it or 300 ms pass. */
function blast(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), 300);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('data', () => undefined);
  });
}

test('fuzz: malformed MQTT packets and HTTP bodies leave the platform healthy and lose nothing acknowledged', async () => {
  const good = await tp.register({ id: 'fuzz-good' });
  const victim = await tp.register({ id: 'fuzz-victim' });
  const publisher = new ReadingPublisher({ url: `mqtt://127.0.0.1:${tp.platform.mqttPort}`, deviceId: 'fuzz-good', password: good.password, baseTs: Date.now() - 3_600_000, window: 4, intervalMs: 5 });
  publisher.start();
  try {
    await fuzz(victim.password);
  } finally {
    await publisher.stop();
  }
  assert.ok(publisher.acked.size > 20, `the good device kept publishing (${publisher.acked.size} acked)`);
  assert.equal((await tp.api('GET', '/healthz')).status, 200);
  await eventually(async () => {
    const rows = await tp.query(`SELECT pm25 FROM air WHERE station='fuzz-good'`);
    const stored = new Set(rows.map((row) => Number(row['time'])));
    return [...publisher.acked].every((seq) => stored.has(publisher.tsOf(seq)));
  }, 'every acknowledged reading stored', 20_000);
  assert.equal(({} as Record<string, unknown>)['admin'], undefined, 'no prototype pollution');
});

/** Throws malformed MQTT packets at the broker and hostile bodies at every kind of API route. */
async function fuzz(victimPassword: string): Promise<void> {
  const victim = { password: victimPassword };
  const r = rng(5);
  const port = tp.platform.mqttPort;
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  const cases: Buffer[] = [
    Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // Remaining Length over 4 bytes [MQTT-2.2.3]
    Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), // CONNECT claiming 256 MiB
    Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x62]), // PUBLISH before CONNECT [MQTT-3.1.0-1]
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), connectPacket('fuzz-victim', 'fuzz-victim', victim.password)]), // second CONNECT [MQTT-3.1.0-2]
    Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x58, 0x58, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]), // bad protocol name
    Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x09, 0x02, 0x00, 0x3c, 0x00, 0x00]), // protocol level 9
    Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x03, 0x00, 0x3c, 0x00, 0x00]), // reserved flag set [MQTT-3.1.2-3]
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), publishQos1Packet('shanshui/v1/fuzz-victim/up/readings', randomBytes(50), 0)]), // packet id 0 [MQTT-2.3.1-1]
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), Buffer.from([0x32, 0x04, 0x00, 0x09, 0x61, 0x62])]), // topic length past the packet
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), Buffer.from([0x82, 0x03, 0x00, 0x01, 0x00])]), // SUBSCRIBE with no filter [MQTT-3.8.3-3]
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), Buffer.from([0xf0, 0x00])]), // reserved packet type 15
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), publishQos1Packet('shanshui/v1/fuzz-victim/up/\u0000readings', 'x', 7)]), // NUL in topic [MQTT-1.5.3-2]
    Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), publishQos1Packet('shanshui/v1/fuzz-victim/up/#', 'x', 8)]), // wildcard in PUBLISH [MQTT-3.3.2-2]
  ];
  for (let i = 0; i < 120; i++) cases.push(randomBytes(1 + Math.floor(r() * 400)));
  for (let i = 0; i < 60; i++) cases.push(Buffer.concat([connectPacket('fuzz-victim', 'fuzz-victim', victim.password), randomBytes(1 + Math.floor(r() * 200))]));
  for (const c of cases) await blast(port, c);

  // HTTP: malformed bodies, wrong types, huge and hostile input on every kind of route.
  const base = `http://127.0.0.1:${tp.platform.httpPort}`;
  const auth = { authorization: `Bearer ${tp.platform.apiToken}` };
  const bodies = ['{', '{"id":', 'null', '[]', '"x"', '{"__proto__":{"admin":true}}', '{"id":"a".repeat}', 'x'.repeat(2 * 1024 * 1024), JSON.stringify({ id: '../../etc/passwd', name: 'x', domain: 'air', lat: 'NaN', lon: 1e400 })];
  const routes = ['/api/v1/stations', '/api/v1/provision', '/api/v1/rules', '/api/v1/subscriptions', '/api/v1/stations/fuzz-good/commands', '/api/v1/stations/fuzz-good/config', '/api/v1/stations/fuzz-good/bootstrap-tokens'];
  for (const route of routes) {
    for (const body of bodies) {
      for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
        const res = await fetch(base + route, { method: route.endsWith('/config') ? 'PUT' : 'POST', headers: { ...auth, 'content-type': type }, body });
        await res.arrayBuffer();
        assert.ok(res.status >= 400 && res.status < 500, `${route} ${type} ${body.slice(0, 40)} → ${res.status}`);
      }
    }
  }
  for (const path of ['/api/v1/stations/%00', '/api/v1/stations/' + 'a'.repeat(5000), '/api/v1/dead-letters?limit=-1', '/api/v1/map.geojson?bbox=NaN,1,2,3', '/api/v1/alerts?limit=1e9', '/api/v1/../../etc/passwd']) {
    const res = await fetch(base + path, { headers: auth });
    await res.arrayBuffer();
    assert.ok(res.status >= 400 && res.status < 500, `${path} → ${res.status}`);
  }
}
