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
import type { AcceptBatchMessage, AcceptWorkerData, FromAcceptWorker, MetricsAgainst, ToAcceptWorker } from './accept-worker-protocol.ts';
import { ResultsWriter, decodeRequest } from './accept-worker-wire.ts';
import type { ResultsWire } from './accept-worker-wire.ts';

const port = parentPort;
if (!port) throw new Error('accept-worker.ts runs as a worker thread (AcceptWorkerPool)');
const settings = workerData as AcceptWorkerData;

const stations = new Map<string, Station>();
const against = new WeakMap<Station, MetricsAgainst>();
/** One per thread: batches are run one at a time, each written whole before it is posted. */
const writer = new ResultsWriter();

const ctx: AcceptContext = {
  station: (id) => stations.get(id),
  metricsFor: (station) => against.get(station) ?? station.domain,
  nowMs: () => Date.now(),
  maxFutureSkewMs: settings.maxFutureSkewMs,
  maxAgeMs: settings.maxAgeMs,
};

/** The batch's messages, accepted in order, their results written as they come. */
function run(batch: AcceptBatchMessage): ResultsWire {
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
    writer.add(r.station !== undefined, r);
  }
  return writer.finish();
}

port.on('message', (message: ToAcceptWorker) => {
  if (message.type === 'crash') process.exit(1);
  const results = run(message);
  const out: FromAcceptWorker = { type: 'result', id: message.id, results };
  port.postMessage(out, [results.numbers]);
});
const ready: FromAcceptWorker = { type: 'ready' };
port.postMessage(ready);
