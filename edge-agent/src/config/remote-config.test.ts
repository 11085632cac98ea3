import { test } from 'vitest';
import assert from 'node:assert/strict';
import { encodePayload } from '@shanshui/models';
import { parseConfigPayload } from './remote-config.ts';
import { isExpired, parseCommandPayload } from './command-message.ts';

test('a valid config (JSON or CBOR) is accepted with defaults filled in', () => {
  for (const encoding of ['json', 'cbor'] as const) {
    const r = parseConfigPayload(encodePayload({ version: 3, sources: [{ kind: 'hj212', port: 9212 }] }, encoding));
    assert.ok(r.ok);
    assert.equal(r.config.uplink.profile, '5g');
    assert.deepEqual(r.config.sources[0], { kind: 'hj212', port: 9212, host: '0.0.0.0', version: '2017', utcOffsetMinutes: 480 });
  }
});

test('invalid configs are rejected with a reason naming the key', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ version: 4, sources: [{ kind: 'modbus' }] }, /sources\.0/],
    [{ version: 4, uplink: { profile: '4g' } }, /uplink\.profile/],
    [{ version: 4, heartbeatSec: 1 }, /heartbeatSec/],
    [{ version: 4, extra: true }, /extra|unrecognized/i],
    [{ version: 4, sources: [{ kind: 'hj212', port: 9000 }, { kind: 'sl651', port: 9000 }] }, /port 9000 is already used/],
  ];
  for (const [value, reason] of cases) {
    const r = parseConfigPayload(Buffer.from(JSON.stringify(value)));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.reason, reason);
      assert.equal(r.version, 4);
    }
  }
  const garbage = parseConfigPayload(Buffer.from('{"version": 5, '));
  assert.equal(garbage.ok, false);
});

test('commands: parsed, expiry honoured, the id kept for the answer even when invalid', () => {
  const ok = parseCommandPayload(Buffer.from(JSON.stringify({ id: 'c1', name: 'open_gate', args: { value: 1 }, expiresAt: new Date(Date.now() + 60_000).toISOString() })));
  assert.ok(ok.ok);
  assert.equal(isExpired(ok.command, Date.now()), false);
  assert.equal(isExpired(ok.command, Date.now() + 120_000), true);
  const bad = parseCommandPayload(Buffer.from(JSON.stringify({ id: 'c2', args: 3 })));
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.id, 'c2');
});
