/** acceptReadings never throws: a failure of ours on a message is a dead letter that keeps the payload, not a refused publish. */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { Station } from '@shanshui/models';
import { acceptReadings } from './accept-readings.ts';

const station: Station = { id: 'ps-9', name: '某厂烟囱', domain: 'pollution_source', lat: 23, lon: 113, region: '440106', department: 'eco-env', createdAt: '' };

test('a throw while a message is accepted becomes an INGEST_ERR_ACCEPT_FAILED dead letter naming the error, with the payload kept', () => {
  const payload = Buffer.from(JSON.stringify({ seq: 7, ts: 1_795_000_000_000, values: { so2: 12 } }));
  const result = acceptReadings(
    {
      station: () => station,
      // Stands for any defect on the way (a catalogue table that cannot be read, a value that cannot be written).
      metricsFor: () => {
        throw new RangeError('catalogue table unreadable');
      },
      nowMs: () => 1_795_000_000_000,
      maxFutureSkewMs: 300_000,
      maxAgeMs: 86_400_000,
    },
    'ps-9',
    'shanshui/v1/ps-9/up/readings',
    payload,
  );
  assert.equal(result.rejected, true);
  assert.deepEqual(result.readings, []);
  assert.equal(result.lines, '');
  assert.equal(result.deadLetters.length, 1);
  const [letter] = result.deadLetters;
  assert.equal(letter!.code, 'INGEST_ERR_ACCEPT_FAILED');
  assert.match(letter!.reason, /defect of ours.*RangeError: catalogue table unreadable/);
  assert.equal(letter!.payload, payload);
  assert.equal(letter!.topic, 'shanshui/v1/ps-9/up/readings');
});
