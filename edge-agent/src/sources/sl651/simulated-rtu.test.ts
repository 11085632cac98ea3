import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import type { SourceReading } from '../source-reading.ts';
import { Sl651Server } from './sl651-server.ts';
import type { Sl651ReadingsContext } from './sl651-server.ts';
import { startSimulatedRtu } from './simulated-rtu.ts';

test('simulated SL 651 RTU: a 32 定时报 per dial-up, stored as reservoir readings and acknowledged; retries until the listener is up', { timeout: 20_000 }, async () => {
  const received: Array<{ readings: SourceReading[]; context: Sl651ReadingsContext }> = [];
  // A port nobody listens on yet: the first attempts fail and are retried.
  const probe = new Sl651Server({ onReadings: () => undefined });
  const { port } = await probe.listen(0, '127.0.0.1');
  await probe.close();
  const rtu = startSimulatedRtu({ port, station: '0044011701', intervalSec: 0.2, retryMs: 100, ackTimeoutMs: 2000 });
  const server = new Sl651Server({ onReadings: (readings, context) => void received.push({ readings, context }) });
  try {
    await expect.poll(() => rtu.stats().failed >= 1, { timeout: 8000 }).toBe(true);
    await server.listen(port, '127.0.0.1');
    await expect.poll(() => rtu.stats().acked >= 2, { timeout: 8000 }).toBe(true);
    const first = received[0]!;
    assert.equal(first.readings[0]!.source, '0044011701');
    const values = first.readings[0]!.values;
    assert.ok(values['water_level']!.value > 95 && values['water_level']!.value < 110, 'a 库上水位 near the demo reservoir levels');
    for (const metric of ['downstream_level', 'rainfall', 'flow', 'supply_voltage']) assert.ok(values[metric], metric);
    assert.equal(first.readings[0]!.ts.getTime() % 60_000, 0, 'observation times have minute resolution');
  } finally {
    await rtu.stop();
    await server.close();
  }
});
