/**
 * What the main thread and an accept worker (accept-worker.ts) say to each other. Our own
 * threads on both ends — not a trust boundary, so plain types, no schema.
 *
 * A batch carries every readings message handed to one worker during one turn of the event
 * loop: device ids and payloads back to back in one transferred ArrayBuffer (accept-worker-wire.ts;
 * structured clone of a Buffer would copy the whole socket chunk it is a slice of), and the
 * station table changes the worker must apply before item `at` (a station or its profile
 * changed since this worker last saw it — the registry's object identity says so, so no change
 * can be missed). The results come back in the same compact form (`ResultsWire`), not as
 * object graphs: cloning those cost the main thread as much as decoding the messages.
 */
import type { Domain, MetricSpec, Station } from '@shanshui/models';
import type { AcceptedMessage } from './accept-readings.ts';
import type { ResultsWire } from './accept-worker-wire.ts';

/** What a station's readings are validated against (ProfileCatalogue.metricsFor). */
export type MetricsAgainst = Domain | Readonly<Record<string, MetricSpec>>;

export interface StationEntry {
  /** Index of the first item that must see this entry. */
  readonly at: number;
  readonly deviceId: string;
  /** undefined: no such station (any more). */
  readonly station: Station | undefined;
  readonly against: MetricsAgainst | undefined;
}

export interface AcceptBatchMessage {
  readonly type: 'batch';
  readonly id: number;
  readonly stations: readonly StationEntry[];
  /** accept-worker-wire.ts `encodeRequest`: device ids and payloads. */
  readonly payloads: ArrayBuffer;
}

/** Fault tests only: the worker exits at once with code 1, as a crash would. */
export interface CrashMessage {
  readonly type: 'crash';
}

export type ToAcceptWorker = AcceptBatchMessage | CrashMessage;

/** A dead letter without what the main thread already has (device, topic, payload). */
export interface WorkerDeadLetter {
  readonly code: string;
  readonly reason: string;
  readonly encoding: string;
}

/** acceptReadings' result without the station object (the main thread has it) and with slim dead letters. */
export type WorkerAccepted = Omit<AcceptedMessage, 'station' | 'deadLetters'> & {
  /** The result names the station (the main thread's object is put back): not for a message refused whole before validation. */
  readonly station: boolean;
  readonly deadLetters: readonly WorkerDeadLetter[];
};

export interface AcceptBatchResult {
  readonly type: 'result';
  readonly id: number;
  /** The batch's results, in order, as accept-worker-wire.ts `ResultsWriter` wrote them. */
  readonly results: ResultsWire;
}

export interface WorkerReady {
  readonly type: 'ready';
}

export type FromAcceptWorker = AcceptBatchResult | WorkerReady;

/** Settings every worker starts with (`workerData`). */
export interface AcceptWorkerData {
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
}
