/**
 * CP keys come from the network and name object properties: a code or suffix such as `__proto__`
 * must never reach Object.prototype (or any other shared built-in) in the agent process.
 */
import { afterEach, expect, test } from 'vitest';
import assert from 'node:assert/strict';
import { Hj212Server } from './hj212-server.ts';
import type { Hj212ReadingsContext } from './hj212-server.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import { encodeHj212Packet, parseHj212Cp, parseHj212Packet } from './packet.ts';
import type { Hj212Packet } from './packet.ts';
import type { SourceReading } from '../source-reading.ts';
import { DialInClient } from '../dial-in/dial-in-client.fixture.ts';

/** The shared objects a CP key could write onto through an inherited property. */
const SHARED: readonly object[] = [Object.prototype, Object, Object.prototype.toString, Object.prototype.hasOwnProperty, Function.prototype];
const ownNames = (): string[][] => SHARED.map((o) => Object.getOwnPropertyNames(o).sort());
const pristine = ownNames();

// Without the fix the tests below do pollute this worker: undo it so one failure does not cascade.
afterEach(() => {
  SHARED.forEach((o, i) => {
    for (const name of Object.getOwnPropertyNames(o)) if (!pristine[i]?.includes(name)) Reflect.deleteProperty(o, name);
  });
});

function assertNothingPolluted(): void {
  assert.deepEqual(ownNames(), pristine, 'no property was added to a shared built-in');
  const probe: Record<string, unknown> = {};
  assert.equal(probe.Flag, undefined);
  assert.equal(probe.password, undefined);
}

const HEAD = 'QN=20261207010000001;ST=22;CN=2011;PW=123456;MN=AIR-01;Flag=5;';

test('HJ 212 §1.6 a CP factor code __proto__ is refused with the key named, and Object.prototype stays clean', () => {
  const result = parseHj212Packet(`${HEAD}CP=&&DataTime=20261207010000;__proto__-Flag=X&&`);
  assertNothingPolluted();
  assert.ok(!result.ok, 'the packet is refused');
  assert.equal(result.code, 'EDGE_ERR_HJ212_PACKET_INVALID');
  assert.equal(result.message, 'CP key "__proto__-Flag" names a reserved object property');
  // The fields before CP are still read, so a refusal can echo QN/MN.
  assert.equal(result.fields.QN, '20261207010000001');
  assert.equal(result.fields.MN, 'AIR-01');
});

test('HJ 212 §1.6 every inherited member name is refused as a factor code, a suffix or a parameter', () => {
  for (const key of ['constructor-Flag', 'toString-Flag', 'hasOwnProperty-Rtd', 'prototype-Rtd', 'a34004-__proto__', 'a34004-constructor', '__proto__', 'valueOf']) {
    const result = parseHj212Packet(`${HEAD}CP=&&DataTime=20261207010000;a21005-Rtd=0.8;${key}=X&&`);
    assertNothingPolluted();
    assert.ok(!result.ok, key);
    assert.equal(result.message, `CP key ${JSON.stringify(key)} names a reserved object property`);
  }
});

test('HJ 212 §1.6 parseHj212Cp leaves reserved keys out and keeps the rest as plain objects', () => {
  const cp = parseHj212Cp('DataTime=20261207010000;__proto__-Flag=X;constructor-Flag=Y;toString-Rtd=1;a34004-Rtd=12,a34004-__proto__=Z;QnRtn=1;__proto__=P');
  assertNothingPolluted();
  assert.equal(cp.dataTime, '20261207010000');
  assert.deepEqual(cp.factors, { a34004: { Rtd: '12' } });
  assert.deepEqual(cp.params, { QnRtn: '1' });
  assert.equal(Object.getPrototypeOf(cp.factors), Object.prototype);
  assert.equal(Object.getPrototypeOf(cp.factors.a34004), Object.prototype);
});

test('HJ 212 §1.8 a __proto__ packet sent over TCP is counted as bad and does not change how later packets are read', async () => {
  const received: Array<{ readings: SourceReading[]; context: Hj212ReadingsContext }> = [];
  const server = new Hj212Server({
    onReadings(readings, context) {
      received.push({ readings, context });
    },
    // No password configured: a polluted `password` on Object.prototype would lock this logger out.
    devices: { 'AIR-01': { version: '2017' } },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const parser = new Hj212FrameParser();
    const logger = await DialInClient.connect<Hj212Packet>(port, (chunk) =>
      parser.push(chunk).flatMap((event) => {
        if (event.kind !== 'frame') return [];
        const result = parseHj212Packet(event.data);
        return result.ok ? [result.packet] : [];
      }),
    );
    const attack = encodeHj212Packet({
      qn: '20261207010000001',
      st: '22',
      cn: '2011',
      pw: 'anything',
      mn: 'SOMEONE',
      flag: 4,
      cp: 'DataTime=20261207010000;__proto__-Flag=X;__proto__-password=stolen',
    });
    // A genuine upload without Flag fields: each value's quality must be 'ok', not the injected X.
    const upload = encodeHj212Packet({
      qn: '20261207010000002',
      st: '22',
      cn: '2011',
      pw: '123456',
      mn: 'AIR-01',
      flag: 5,
      cp: { dataTime: '20261207010000', factors: { a34004: { Rtd: 35 } } },
    });
    // Frames of one connection are handled in order, so the upload's reply follows the attack's handling.
    logger.send(attack + upload);
    await expect.poll(() => logger.replies.length, { timeout: 2000 }).toBe(1);
    assertNothingPolluted();
    assert.equal(server.stats().badPacket, 1);
    assert.equal(logger.replies[0]?.cn, '9014', 'the logger is not locked out by an injected password');
    assert.equal(received.length, 1);
    assert.deepEqual(received[0]?.readings, [
      { source: 'AIR-01', ts: new Date('2026-12-06T17:00:00Z'), kind: 'realtime', values: { pm25: { value: 35, quality: 'ok' } } },
    ]);
    await logger.close();
  } finally {
    await server.close();
  }
});
