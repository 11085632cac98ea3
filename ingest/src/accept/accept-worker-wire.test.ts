/** The accept worker's batch wire format: what goes in comes out, byte for byte and key for key. */
import { expect, test } from 'vitest';
import type { AcceptedMessage } from './accept-readings.ts';
import type { WorkerAccepted } from './accept-worker-protocol.ts';
import { ResultsWriter, decodeRequest, decodeResults, encodeRequest } from './accept-worker-wire.ts';
import type { ResultsWire } from './accept-worker-wire.ts';

/** What a worker posts for these results: each written in turn, then the batch. */
function encodeResults(results: readonly WorkerAccepted[]): ResultsWire {
  const writer = new ResultsWriter();
  for (const r of results) writer.add(r.station, r);
  return writer.finish();
}

test('a request carries every device id and payload, in order', () => {
  const items = [
    { deviceId: 'air-1', payload: Buffer.from('{"seq":1}') },
    { deviceId: '站点-2', payload: Buffer.alloc(0) },
    { deviceId: 'x', payload: Buffer.from([0xff, 0x00, 0xfe]) },
  ];
  const got = decodeRequest(encodeRequest(items));
  expect(got.map((i) => [i.deviceId, Buffer.from(i.payload).toString('hex')])).toEqual(items.map((i) => [i.deviceId, i.payload.toString('hex')]));
});

test('results come back equal, with the values in the same key order', () => {
  const results: WorkerAccepted[] = [
    {
      station: true,
      seq: 7,
      rejected: false,
      readings: [
        { ts: 1_765_000_000_123, values: { pm25: { v: 35.5, q: 'ok' }, o3: { v: -0.25, q: 'manual' } } },
        { ts: 1_765_000_001_123, values: { so2_zs: { v: 1e-9, q: 'implausible' } } },
      ],
      lines: 'air,station=a pm25=35.5 1\nair,station=a o3=-0.25 2',
      implausible: 1,
      deadLetters: [{ code: 'INGEST_ERR_READING_INVALID', reason: 'pm25: 不合理', encoding: 'json' }],
    },
    { station: false, rejected: true, readings: [], lines: '', implausible: 0, deadLetters: [{ code: 'INGEST_ERR_UNKNOWN_DEVICE', reason: 'nobody', encoding: 'unknown' }] },
    { station: true, seq: 0, readings: [], lines: '', implausible: 0, deadLetters: [] },
    { station: true, seq: Number.MAX_SAFE_INTEGER, rejected: false, readings: [{ ts: 0, values: { 温度: { v: 21, q: 'ok' } } }], lines: 'x 温度=21 0', implausible: 0, deadLetters: [] },
  ];
  const wire = encodeResults(results);
  // What the main thread kept of each message: the results name its station and complete its dead letters.
  const station = { id: 'a', name: 'A', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' } as const;
  const items = results.map((_, i) => ({ deviceId: `dev-${i}`, topic: `shanshui/v1/dev-${i}/up/readings`, payload: Buffer.from([i]), station: i === 1 ? undefined : station }));
  const expected: AcceptedMessage[] = results.map((r, i) => {
    const { station: named, deadLetters, ...rest } = r;
    const item = items[i]!;
    return {
      ...(named && item.station ? { station: item.station } : {}),
      ...rest,
      deadLetters: deadLetters.map((d) => ({ deviceId: item.deviceId, topic: item.topic, code: d.code, reason: d.reason, payload: item.payload, encoding: d.encoding })),
    };
  });
  // What crosses the thread boundary is structured-cloned: do that too.
  const got = decodeResults(structuredClone(wire, { transfer: [wire.numbers] }), items);
  expect(got).toStrictEqual(expected);
  expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
  // The common message has the inline path's shape (accept-readings.ts): the same keys in the same order.
  expect(Object.keys(got[3]!)).toEqual(['station', 'seq', 'rejected', 'readings', 'lines', 'implausible', 'deadLetters']);
});

test('one writer, batch after batch: a batch larger than its first buffer comes back whole, and the next starts clean', () => {
  const writer = new ResultsWriter();
  const station = { id: 'a', name: 'A', domain: 'air', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' } as const;
  const big: WorkerAccepted[] = Array.from({ length: 1500 }, (_, i) => ({
    station: true,
    seq: i,
    rejected: false,
    readings: [{ ts: 1_765_000_000_000 + i, values: { co: { v: i / 10, q: 'ok' }, no2: { v: i, q: 'ok' }, o3: { v: -i, q: 'manual' }, pm10: { v: 1, q: 'ok' }, pm25: { v: 2, q: 'implausible' }, so2: { v: 3, q: 'ok' } } }],
    lines: `air,station=a co=${i / 10} ${i}`,
    implausible: i % 2,
    deadLetters: [],
  }));
  const small: WorkerAccepted[] = [{ station: true, seq: 9, rejected: false, readings: [{ ts: 5, values: { 温度: { v: 21, q: 'ok' }, co: { v: 1, q: 'ok' } } }], lines: 'x co=1,温度=21 5', implausible: 0, deadLetters: [] }];
  const decode = (results: readonly WorkerAccepted[]): AcceptedMessage[] => {
    for (const r of results) writer.add(r.station, r);
    const wire = writer.finish();
    const items = results.map(() => ({ deviceId: 'a', topic: 't', payload: Buffer.alloc(0), station }));
    return decodeResults(structuredClone(wire, { transfer: [wire.numbers] }), items);
  };
  const withStation = (rs: readonly WorkerAccepted[]): AcceptedMessage[] => rs.map(({ station: _named, ...rest }) => ({ station, ...rest, deadLetters: [] }));
  expect(decode(big)).toStrictEqual(withStation(big));
  expect(decode(small)).toStrictEqual(withStation(small));
});
