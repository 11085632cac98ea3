import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import { InfluxHttp } from '@shanshui/ingest';
import { countAirLines, startInfluxSink } from './influx-sink.ts';
import type { InfluxSink } from './influx-sink.ts';

let sink: InfluxSink;
beforeAll(async () => {
  sink = await startInfluxSink();
});
afterAll(async () => {
  await sink?.stop();
});

test('influx sink: answers the platform\'s InfluxDB client (ping, create database, write) and counts the air lines it was sent', async () => {
  const influx = new InfluxHttp({ url: sink.url, database: 'shanshui' });
  assert.equal(await influx.ping(), true);
  await influx.ensureDatabase();
  const count = async (): Promise<unknown> => (await influx.query('SELECT count(pm25) FROM air'))[0]?.values[0]?.[1];
  assert.equal(await count(), 0);
  await influx.write('air,station=a pm25=1 1\nair,station=b pm25=2 1\nstation_info,station=a name="a" 1');
  await influx.write(Buffer.from('air,station=a pm25=3 2\n'));
  assert.equal(await count(), 3, 'air lines only, from text and from bytes');
  assert.deepEqual(await influx.query('SELECT last(*) FROM air GROUP BY station'), [], 'any other query: no series');
  const res = await fetch(`${sink.url}/api/v2/write`, { method: 'POST', body: 'x' });
  assert.equal(res.status, 404);
});

test('influx sink: counting lines — the measurement must be air and be followed by its tags', () => {
  assert.equal(countAirLines(Buffer.from('')), 0);
  assert.equal(countAirLines(Buffer.from('air,station=a pm25=1 1')), 1);
  assert.equal(countAirLines(Buffer.from('airport,station=a x=1 1\nair_quality,s=1 x=1 1\nwater,station=air, x=1 1\n')), 0);
  assert.equal(countAirLines(Buffer.from('air,s=a x=1 1\n\nair,s=b x=1 1\n')), 2);
});

/** Niceness of every thread of process `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
async function threadNiceness(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  return Promise.all(
    tasks.map(async (tid) => {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    }),
  );
}

test('influx sink: started at nice 19 (standing for a machine elsewhere), every thread of it runs at 19; by default at the niceness of its parent', async () => {
  const niced = await startInfluxSink(19);
  try {
    const nices = await threadNiceness(niced.pid);
    assert.ok(nices.length > 1, 'a Node process has more than one thread');
    assert.deepEqual(new Set(nices), new Set([19]));
    const influx = new InfluxHttp({ url: niced.url, database: 'shanshui' });
    assert.equal(await influx.ping(), true, 'the niced sink still answers');
  } finally {
    await niced.stop();
  }
  assert.deepEqual(new Set(await threadNiceness(sink.pid)), new Set([os.getPriority()]));
});
