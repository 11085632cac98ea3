/**
 * The drain's lanes against a real HTTP receiver on InfluxDB's /write path (what InfluxHttp
 * talks to): a batch goes out as concurrent writes split by station, a station's records stay
 * in one write and in spool order, a lane that fails for now sends the whole batch round again,
 * and a lane InfluxDB refuses becomes a dead letter of exactly its lines.
 */
import { test, expect, onTestFinished } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { InfluxDrain } from './influx-drain.ts';
import { InfluxHttp } from './influx-http.ts';
import { MemorySpool } from '../spool/memory-spool.ts';
import { createMetrics } from '../metrics.ts';
import type { DeadLetterInput } from '../state/dead-letter-store.ts';

const logger = pino({ level: 'silent' });

interface Write {
  readonly lines: string[];
  /** Writes in flight at the receiver when this one arrived, itself included. */
  readonly inFlight: number;
  readonly status: number;
}

/** A /write endpoint: `answer` picks each request's status; every request is kept. A 204 is held `holdMs` so writes can overlap. */
async function startReceiver(answer: (lines: string[], attempt: number) => number, holdMs = 30): Promise<{ writes: Write[]; url: string }> {
  const writes: Write[] = [];
  let inFlight = 0;
  let attempt = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    const seen = inFlight;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      const status = answer(lines, attempt++);
      writes.push({ lines, inFlight: seen, status });
      setTimeout(() => {
        inFlight--;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? '' : JSON.stringify({ error: status === 400 ? 'partial write: field type conflict' : 'engine busy' }));
      }, status === 204 ? holdMs : 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { writes, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const line = (station: string, n: number): string => `air,dept=eco-env,domain=air,region=r1,station=${station} pm25=${n} ${1_700_000_000_000 + n}`;
const stationOf = (l: string): string => /,station=([^ ,]+)/.exec(l)![1]!;

/** `stations` × `perStation` records, interleaved as devices would publish them. */
async function spoolOf(stations: string[], perStation: number): Promise<{ spool: MemorySpool; records: string[] }> {
  const spool = new MemorySpool(16 * 1024 * 1024);
  const records: string[] = [];
  for (let n = 0; n < perStation; n++) for (const s of stations) records.push(line(s, n));
  for (const r of records) await spool.append(r);
  return { spool, records };
}

function startDrain(spool: MemorySpool, url: string, lanes: number, deadLetters: DeadLetterInput[] = []): InfluxDrain {
  const drain = new InfluxDrain(
    spool,
    new InfluxHttp({ url, database: 'shanshui' }),
    { logger, metrics: createMetrics(), deadLetters: async (letters) => void deadLetters.push(...letters) },
    { lanes, retryMinMs: 5, retryMaxMs: 20 },
  );
  drain.start();
  onTestFinished(() => drain.stop());
  return drain;
}

async function drained(spool: MemorySpool): Promise<void> {
  await expect.poll(() => spool.depth().records, { timeout: 10_000, interval: 20 }).toBe(0);
}

const stations = Array.from({ length: 24 }, (_, i) => `st-${i}`);

test('a batch goes out as concurrent writes, split by station: every record once, a station in one write, in spool order', async () => {
  const { writes, url } = await startReceiver(() => 204);
  const { spool, records } = await spoolOf(stations, 5);
  startDrain(spool, url, 2);
  await drained(spool);

  expect(writes).toHaveLength(2); // one batch (well under 1 MiB), two lanes
  expect(Math.max(...writes.map((w) => w.inFlight))).toBe(2); // the two were in flight together
  expect(writes.flatMap((w) => w.lines).sort()).toEqual([...records].sort());
  for (const s of stations) {
    const holding = writes.filter((w) => w.lines.some((l) => stationOf(l) === s));
    expect(holding, s).toHaveLength(1);
    expect(holding[0]!.lines.filter((l) => stationOf(l) === s)).toEqual(records.filter((r) => stationOf(r) === s));
  }
});

test('one lane: one write per batch, in spool order (the drain as it was)', async () => {
  const { writes, url } = await startReceiver(() => 204);
  const { spool, records } = await spoolOf(stations, 5);
  startDrain(spool, url, 1);
  await drained(spool);
  expect(writes.map((w) => w.lines)).toEqual([records]);
});

test('a lane that fails for now sends the whole batch round again; each station is first written in spool order and nothing is lost', async () => {
  // The lane holding st-3 answers 503 twice; the other lane is stored at once and rewritten on each retry.
  let refusals = 0;
  const { writes, url } = await startReceiver((lines) => (lines.some((l) => stationOf(l) === 'st-3') && refusals++ < 2 ? 503 : 204));
  const { spool, records } = await spoolOf(stations, 5);
  startDrain(spool, url, 2);
  await drained(spool);

  expect(writes.filter((w) => w.status === 503)).toHaveLength(2);
  const stored = writes.filter((w) => w.status === 204).flatMap((w) => w.lines);
  expect(new Set(stored)).toEqual(new Set(records));
  for (const s of stations) {
    const firsts = [...new Set(stored.filter((l) => stationOf(l) === s))];
    expect(firsts, s).toEqual(records.filter((r) => stationOf(r) === s));
  }
});

test('a lane InfluxDB refuses becomes a dead letter of exactly its lines; the other lane is stored and the drain moves on', async () => {
  const { writes, url } = await startReceiver((lines) => (lines.some((l) => stationOf(l) === 'st-7') ? 400 : 204));
  const { spool, records } = await spoolOf(stations, 5);
  const letters: DeadLetterInput[] = [];
  startDrain(spool, url, 2, letters);
  await drained(spool);

  const refused = writes.filter((w) => w.status === 400);
  const stored = writes.filter((w) => w.status === 204);
  expect(refused).toHaveLength(1);
  expect(stored).toHaveLength(1);
  expect(letters).toHaveLength(1);
  expect(letters[0]).toMatchObject({ code: 'INGEST_ERR_STORAGE_REJECTED', encoding: 'line-protocol' });
  expect(letters[0]!.reason).toMatch(/^InfluxDB refused the points: 400 .*field type conflict/);
  expect(Buffer.from(letters[0]!.payload as Uint8Array).toString('utf8').split('\n')).toEqual(refused[0]!.lines);
  expect([...refused[0]!.lines, ...stored[0]!.lines].sort()).toEqual([...records].sort());
});
