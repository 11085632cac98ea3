/**
 * Bench support: "InfluxDB on another machine", for the workers bench's question of how many
 * cores the platform uses when influxd leaves it room (on this 2-core machine a real influxd takes
 * most of a core under the load). A process of its own that speaks the part of InfluxDB's v1 HTTP
 * API the platform uses — `/ping`, `/query`, `/write` — keeps nothing, and counts the `air` lines
 * written, which it answers to the bench's `SELECT count(pm25) FROM air` (every bench reading is
 * one `air` line with `pm25`). It stands in for a database with cores to spare; the e2e figures
 * against raw influxd are measured against a real influxd, never this.
 *
 * Run as a program, it prints `{"port": N}` on stdout once it listens.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { withNice } from './fd-limit.ts';

const AIR = Buffer.from('air,');

/** The `air` lines of one write body: lines that start with the measurement and its tag comma. */
export function countAirLines(body: Buffer): number {
  let n = 0;
  for (let at = 0; at < body.length; ) {
    if (body.compare(AIR, 0, AIR.length, at, at + AIR.length) === 0) n++;
    const nl = body.indexOf(0x0a, at);
    if (nl < 0) break;
    at = nl + 1;
  }
  return n;
}

function serve(): void {
  let air = 0;
  const answer = (res: ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (url.pathname === '/ping') return answer(res, 204);
      if (url.pathname === '/write') {
        air += countAirLines(Buffer.concat(chunks));
        return answer(res, 204);
      }
      if (url.pathname === '/query') {
        const q = url.searchParams.get('q') ?? new URLSearchParams(Buffer.concat(chunks).toString()).get('q') ?? '';
        if (/^SELECT count\(pm25\) FROM air$/i.test(q.trim())) {
          return answer(res, 200, { results: [{ statement_id: 0, series: [{ name: 'air', columns: ['time', 'count'], values: [[0, air]] }] }] });
        }
        return answer(res, 200, { results: [{ statement_id: 0 }] }); // CREATE DATABASE, the map's latest values: nothing kept
      }
      answer(res, 404, { error: `not a path of this sink: ${url.pathname}` });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

export interface InfluxSink {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the sink as a process of its own (its CPU is measured apart from the bench's), at
 * niceness `nice`; killed if the bench exits first.
 */
export async function startInfluxSink(nice = 0): Promise<InfluxSink> {
  const child = spawn(...withNice(process.execPath, [import.meta.filename], nice), { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('influx sink: not started');
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
  if (first === undefined) throw new Error('influx sink: exited before it listened');
  const { port } = z.object({ port: z.number().int().positive() }).parse(JSON.parse(first));
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] === import.meta.filename) serve();
