import { test, expect } from 'vitest';
import assert from 'node:assert/strict';
import { DOMAIN_SPECS } from '@shanshui/models';
import type { SourceReading } from '../source-reading.ts';
import { createSimulationState } from '../simulated/simulate-reading.ts';
import { Hj212Server } from './hj212-server.ts';
import type { Hj212ReadingsContext } from './hj212-server.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import { parseHj212Packet } from './packet.ts';
import { simulatedRealtimeFrame, startSimulatedLogger } from './simulated-logger.ts';

test('simulated 数采仪 frame: HJ 212-2017 CN 2011, ST 21, Flag 5, valid CRC, water factors with Rtd and Flag N (HJ 212 §6.3)', () => {
  const ts = new Date('2026-11-30T01:00:05Z');
  const frame = simulatedRealtimeFrame({ mn: '44011700000001', password: '123456', domain: 'water', state: createSimulationState(1), ts });
  const events = new Hj212FrameParser({ lenient: false }).push(frame);
  assert.equal(events.length, 1);
  const event = events[0]!;
  assert.equal(event.kind, 'frame', 'CRC and length check out');
  if (event.kind !== 'frame') return;
  const parsed = parseHj212Packet(event.data);
  assert.ok(parsed.ok);
  const p = parsed.packet;
  assert.deepEqual([p.st, p.cn, p.mn, p.pw, p.flag?.version, p.flag?.ackWanted], ['21', '2011', '44011700000001', '123456', 1, true]);
  assert.equal(p.cp.dataTime, '20261130090005', 'the logger clock is China Standard Time');
  for (const code of ['w01001', 'w01009', 'w01019', 'w21003']) {
    assert.ok(Number.isFinite(Number(p.cp.factors[code]?.['Rtd'])), `${code}-Rtd`);
    assert.equal(p.cp.factors[code]?.['Flag'], 'N');
  }
});

test('simulated 数采仪 against a real HJ 212 listener: uploads become water readings within range, each acknowledged with 9014; it reconnects after the listener restarts', { timeout: 20_000 }, async () => {
  const received: Array<{ readings: SourceReading[]; context: Hj212ReadingsContext }> = [];
  let server = new Hj212Server({ onReadings: (readings, context) => void received.push({ readings, context }) });
  const { port } = await server.listen(0, '127.0.0.1');
  const logger = startSimulatedLogger({ port, mn: '44011700000001', domain: 'water', intervalSec: 0.1, reconnectMs: 100 });
  try {
    await expect.poll(() => logger.stats().acked >= 3, { timeout: 5000 }).toBe(true);
    const first = received[0]!;
    assert.equal(first.context.mn, '44011700000001');
    assert.equal(first.context.cn, '2011');
    const values = first.readings[0]!.values;
    for (const metric of ['ph', 'do', 'codmn', 'nh3n', 'tp', 'water_temperature']) {
      const v = values[metric];
      assert.ok(v, metric);
      const spec = DOMAIN_SPECS.water.metrics[metric]!;
      assert.ok(v.value >= spec.min && v.value <= spec.max, `${metric} ${v.value} within ${spec.min}…${spec.max}`);
      assert.equal(v.quality, 'ok');
    }
    assert.ok(values['ph']!.value > 6 && values['ph']!.value < 9, 'pH of a river, not of a lab');

    await server.close();
    await expect.poll(() => !logger.stats().connected, { timeout: 5000 }).toBe(true);
    server = new Hj212Server({ onReadings: (readings, context) => void received.push({ readings, context }) });
    await server.listen(port, '127.0.0.1');
    const acked = logger.stats().acked;
    await expect.poll(() => logger.stats().acked > acked, { timeout: 5000 }).toBe(true);
  } finally {
    await logger.stop();
    await server.close();
  }
});
