// The simulated pollution-source 数采仪 (HJ 212-2017 §6.6): CN 2051/2061 uploads with Avg, Min, Max and Cou that the agent reads without a dead field.
import { test, expect } from 'vitest';
import { hj212CodeTableFor, validateReadings } from '@shanshui/models';
import { createSimulationState } from '../simulated/simulate-reading.ts';
import { Hj212FrameParser } from './frame-parser.ts';
import { parseHj212Packet } from './packet.ts';
import { simulatedIntervalFrame } from './simulated-logger.ts';
import { hj212ToReadings } from './to-readings.ts';

test('simulated stack CEMS: CN 2051 and 2061 frames carry Avg/Min/Max and Cou, read into so2, so2_min, so2_max, so2_cou … with no dead field', () => {
  const state = createSimulationState(3);
  for (const cn of ['2051', '2061'] as const) {
    const ts = new Date('2026-07-01T04:00:00Z');
    const frame = simulatedIntervalFrame({ mn: 'MN-STACK', password: '123456', state, ts, cn });
    const events = new Hj212FrameParser().push(Buffer.from(frame));
    const data = events.find((e) => e.kind === 'frame');
    expect(data?.kind).toBe('frame');
    const packet = parseHj212Packet(data!.kind === 'frame' ? data!.data : '');
    expect(packet.ok).toBe(true);
    if (!packet.ok) return;
    expect(packet.packet.cn).toBe(cn);
    const out = hj212ToReadings(packet.packet, { table: hj212CodeTableFor('pollution_source') });
    expect(out.deadFields).toEqual([]);
    const values = out.readings[0]!.values;
    for (const f of ['so2', 'so2_min', 'so2_max', 'so2_cou', 'nox_cou', 'dust_cou', 'gas_flow', 'gas_flow_cou', 'o2']) expect(values[f], f).toBeDefined();
    expect(values['so2_cou']!.value).toBeCloseTo((values['so2']!.value * values['gas_flow']!.value * (cn === '2051' ? 60 : 3600)) / 1e6, 3);
    const wire = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { v: v.value, q: v.quality }]));
    const checked = validateReadings({ seq: 1, readings: [{ ts: ts.getTime(), values: wire }] }, 'pollution_source', { nowMs: ts.getTime(), maxFutureSkewMs: 0, maxAgeMs: 1e12 });
    expect(checked.rejected).toEqual([]);
    expect(checked.implausible).toBe(0);
  }
});
