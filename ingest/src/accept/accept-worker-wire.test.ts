/** The accept worker's batch wire format: what goes in comes out, byte for byte and key for key. */
import { expect, test } from 'vitest';
import type { WorkerAccepted } from './accept-worker-protocol.ts';
import { decodeRequest, decodeResults, encodeRequest, encodeResults } from './accept-worker-wire.ts';

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
    { station: true, seq: Number.MAX_SAFE_INTEGER, readings: [{ ts: 0, values: { 温度: { v: 21, q: 'ok' } } }], lines: 'x 温度=21 0', implausible: 0, deadLetters: [] },
  ];
  const wire = encodeResults(results);
  // What crosses the thread boundary is structured-cloned: do that too.
  const got = decodeResults(structuredClone(wire, { transfer: [wire.numbers] }));
  expect(got).toStrictEqual(results);
  expect(JSON.stringify(got)).toBe(JSON.stringify(results));
});
