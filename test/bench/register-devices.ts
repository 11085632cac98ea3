/** Bench support: registers air stations over the platform's HTTP API, many at a time, with progress. */
import { BENCH_STATION, benchStationId } from './air-reading.ts';
import { mapLimit, progress } from './progress.ts';

export interface DeviceCredentials {
  readonly id: string;
  readonly password: string;
  /** Station index (seeds its simulated values). */
  readonly index: number;
}

export interface RegisterOptions {
  readonly httpUrl: string;
  readonly apiToken: string;
  /** Device ids are `{prefix}-{index:5}`. */
  readonly prefix: string;
  readonly count: number;
  /** Requests in flight. */
  readonly concurrency: number;
}

export async function registerDevices(o: RegisterOptions): Promise<{ devices: DeviceCredentials[]; seconds: number }> {
  const started = performance.now();
  let lastReport = started;
  const register = async (index: number): Promise<DeviceCredentials> => {
    const id = benchStationId(o.prefix, index);
    const res = await fetch(`${o.httpUrl}/api/v1/stations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, name: `压测站 ${id}`, lat: 23 + (index % 100) / 100, lon: 113 + Math.floor(index / 100) / 100, ...BENCH_STATION }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${text.slice(0, 300)}`);
    const parsed = JSON.parse(text) as { credentials: { password: string } };
    return { id, password: parsed.credentials.password, index };
  };
  const reportDone = (done: number): void => {
    const now = performance.now();
    if (now - lastReport > 3000 || done === o.count) {
      lastReport = now;
      progress(`registered ${done}/${o.count} devices (${Math.round(done / ((now - started) / 1000))}/s)`);
    }
  };
  const ids = Array.from({ length: o.count }, (_, i) => i);
  const devices = await mapLimit(ids, o.concurrency, register, reportDone);
  return { devices, seconds: (performance.now() - started) / 1000 };
}
