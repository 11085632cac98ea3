/**
 * A readings message that once broke acceptReadings' promise never to throw, on a real platform
 * with accept workers on and off: a 折算 value that overflows to Infinity. With workers on it
 * crashed the process (the pool redid the batch on the main thread, unguarded); with them off the
 * publish was refused, and the device resent it for ever. Now it is acknowledged, the platform stays
 * up, and the reading is stored without the value that cannot be.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { startTestPlatform, eventually } from '../support/test-platform.ts';
import type { TestPlatform } from '../support/test-platform.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

for (const workers of [1, 0]) {
  test(`accept workers ${workers}: a 折算 value that overflows is left out, the reading kept, the platform up`, async () => {
    const tp: TestPlatform = await startTestPlatform({ acceptWorkers: workers });
    cleanups.push(() => tp.close());
    const id = `stack-inf-${workers}`;
    const cred = await tp.register({ id, domain: 'pollution_source', profile: 'flue-gas-cems', attributes: { o2Reference: 6 } });
    const client = await tp.connect(cred.username, cred.password);
    const topic = `shanshui/v1/${id}/up/readings`;
    const ts = Date.now() - 5000;
    // so2 × (21 − 6) / (21 − 10), rounded to the metric's precision: past Number.MAX_VALUE.
    await client.publishAsync(topic, JSON.stringify({ seq: 1, ts, values: { o2: 10, so2: 1e306, nox: 40 } }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ seq: 2, ts: ts + 1000, values: { o2: 10, so2: 30 } }), { qos: 1 });
    const rows = await eventually(async () => {
      const r = await tp.query(`SELECT so2, so2_zs, nox, nox_zs FROM pollution_source WHERE station = '${id}'`);
      return r.length === 2 && r[0]!['nox_zs'] !== null && r[1]!['so2_zs'] !== null ? r : undefined;
    }, 'both readings', 15_000);
    assert.equal(rows[0]!['so2'], 1e306, 'the measured value is kept');
    assert.equal(rows[0]!['so2_zs'], null, 'no 折算 value where it would be infinite');
    assert.equal(rows[0]!['nox_zs'], 54.55, 'the message’s other 折算 values are still made');
    assert.equal(rows[1]!['so2_zs'], 40.909, '30 × 15 / 11, to the precision the catalogue gives so2');
    assert.equal((await fetch(`http://127.0.0.1:${tp.platform.httpPort}/healthz`)).status, 200);
  });
}
