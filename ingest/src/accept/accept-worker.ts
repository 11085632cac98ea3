/**
 * An accept worker thread: decodes, validates and formats readings messages (acceptReadings,
 * unchanged) for the stations the pool routes to it, batch by batch, in the order received.
 * It keeps a table of the stations it has been sent (accept-worker-protocol.ts) and nothing
 * else: no I/O, no spool — the main thread appends the results and answers the device.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Station } from '@shanshui/models';
import { acceptReadings } from './accept-readings.ts';
import type { AcceptContext } from './accept-readings.ts';
import type { AcceptBatchMessage, AcceptWorkerData, FromAcceptWorker, MetricsAgainst, ToAcceptWorker, WorkerAccepted } from './accept-worker-protocol.ts';
import { decodeRequest, encodeResults } from './accept-worker-wire.ts';

const port = parentPort;
if (!port) throw new Error('accept-worker.ts runs as a worker thread (AcceptWorkerPool)');
const settings = workerData as AcceptWorkerData;

const stations = new Map<string, Station>();
const against = new WeakMap<Station, MetricsAgainst>();

const ctx: AcceptContext = {
  station: (id) => stations.get(id),
  metricsFor: (station) => against.get(station) ?? station.domain,
  nowMs: () => Date.now(),
  maxFutureSkewMs: settings.maxFutureSkewMs,
  maxAgeMs: settings.maxAgeMs,
};

function run(batch: AcceptBatchMessage): WorkerAccepted[] {
  const results: WorkerAccepted[] = [];
  let entry = 0;
  const items = decodeRequest(batch.payloads);
  for (let i = 0; i < items.length; i++) {
    for (; entry < batch.stations.length && batch.stations[entry]!.at <= i; entry++) {
      const e = batch.stations[entry]!;
      if (e.station) {
        stations.set(e.deviceId, e.station);
        if (e.against !== undefined) against.set(e.station, e.against);
      } else {
        stations.delete(e.deviceId);
      }
    }
    const { deviceId, payload } = items[i]!;
    // The topic is the main thread's to fill in (dead letters): it has it, and the payload.
    const r = acceptReadings(ctx, deviceId, '', payload);
    results.push({
      station: r.station !== undefined,
      ...(r.seq !== undefined ? { seq: r.seq } : {}),
      ...(r.rejected !== undefined ? { rejected: r.rejected } : {}),
      readings: r.readings,
      lines: r.lines,
      implausible: r.implausible,
      deadLetters: r.deadLetters.map((d) => ({ code: d.code, reason: d.reason, encoding: d.encoding })),
    });
  }
  return results;
}

port.on('message', (message: ToAcceptWorker) => {
  if (message.type === 'crash') process.exit(1);
  const results = encodeResults(run(message));
  const out: FromAcceptWorker = { type: 'result', id: message.id, results };
  port.postMessage(out, [results.numbers]);
});
const ready: FromAcceptWorker = { type: 'ready' };
port.postMessage(ready);
