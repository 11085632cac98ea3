/**
 * Part 1 — the peer: how fast a fresh influxd takes the platform's points when fed directly,
 * as line protocol, 5000 lines per POST, one POST at a time (the peer issue #16 set its goal
 * against) or `postsInFlight` at a time (like the drain's write lanes, SHANSHUI_INFLUX_WRITE_LANES).
 * Each writer builds its next body while its POST is in flight.
 */
import { InfluxHttp } from '@shanshui/ingest';
import { AirStation, benchStationId } from './air-reading.ts';
import { CpuMeter } from './proc-stats.ts';
import type { CpuReport } from './proc-stats.ts';
import { benchTempDir, startBenchInfluxd } from './bench-resources.ts';
import { progress } from './progress.ts';

export interface RawInfluxOptions {
  readonly readings: number;
  /** Series: as many stations as the end-to-end part registers. */
  readonly stations: number;
  readonly linesPerPost: number;
  /** POSTs in flight. Default 1. */
  readonly postsInFlight?: number;
  /** Stop early (and say so) past this. */
  readonly maxSeconds: number;
}

export interface RawInfluxResult {
  readonly readings: number;
  readonly posts: number;
  readonly postsInFlight: number;
  readonly seconds: number;
  readonly readingsPerSec: number;
  readonly postMsP50: number;
  readonly postMsP99: number;
  readonly bytesPerLine: number;
  readonly capped: boolean;
  readonly influxdVersion: string;
  /** influxd CPU time per reading (load-independent cost; µs). */
  readonly influxdCpuUsPerReading: number;
  readonly cpu: CpuReport;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchRawInflux(o: RawInfluxOptions): Promise<RawInfluxResult> {
  const tmp = await benchTempDir('shanshui-bench-raw-');
  const dir = tmp.dir;
  const influxd = await startBenchInfluxd(dir);
  try {
    const influx = new InfluxHttp({ url: influxd.url, database: 'bench' });
    await influx.ensureDatabase();
    const versionRes = await fetch(`${influxd.url}/ping`);
    const influxdVersion = versionRes.headers.get('x-influxdb-version') ?? 'unknown';
    await versionRes.arrayBuffer();

    const stations = Array.from({ length: o.stations }, (_, i) => new AirStation(benchStationId('raw', i), i));
    // Readings go round-robin over the stations, each station's timestamps 1 ms apart, an hour ago.
    const t0 = Date.now() - 3_600_000;
    let made = 0;
    let bytes = 0;
    const nextBody = (): string | undefined => {
      if (made >= o.readings) return undefined;
      const n = Math.min(o.linesPerPost, o.readings - made);
      const lines = new Array<string>(n);
      for (let i = 0; i < n; i++, made++) {
        const station = stations[made % stations.length]!;
        const ts = t0 + Math.floor(made / stations.length);
        lines[i] = station.line(ts, station.values(ts));
      }
      const body = lines.join('\n');
      bytes += body.length;
      return body;
    };

    const inFlight = o.postsInFlight ?? 1;
    progress(`raw influxd: writing ${o.readings} readings, ${o.linesPerPost} lines per POST, ${inFlight} in flight (${influxd.url}, ${influxdVersion})`);
    const cpu = new CpuMeter({ influxd: influxd.pid, bench: process.pid });
    const postMs: number[] = [];
    let written = 0;
    let capped = false;
    const started = performance.now();
    let lastReport = started;
    const writer = async (): Promise<void> => {
      let body = nextBody();
      while (body !== undefined) {
        const t = performance.now();
        const write = influx.write(body);
        const lines = body === '' ? 0 : body.split('\n').length;
        const following = capped ? undefined : nextBody(); // built while influxd works
        await write;
        postMs.push(performance.now() - t);
        written += lines;
        body = following;
        const now = performance.now();
        if (now - lastReport > 5000) {
          lastReport = now;
          progress(`raw influxd: ${written} readings, ${Math.round(written / ((now - started) / 1000))}/s`);
        }
        if (now - started > o.maxSeconds * 1000 && (body !== undefined || made < o.readings)) {
          capped = true;
          break;
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, () => writer()));
    const seconds = (performance.now() - started) / 1000;
    const cpuReport = cpu.stop();
    const rows = await influx.query('SELECT count(pm25) FROM air');
    const visible = Number(rows[0]?.values[0]?.[1] ?? 0);
    if (visible !== written) progress(`raw influxd: WARNING count(pm25) = ${visible}, wrote ${written}`);
    postMs.sort((a, b) => a - b);
    return {
      readings: written,
      posts: postMs.length,
      postsInFlight: inFlight,
      seconds,
      readingsPerSec: written / seconds,
      postMsP50: percentile(postMs, 50),
      postMsP99: percentile(postMs, 99),
      bytesPerLine: bytes / Math.max(1, made),
      capped,
      influxdVersion,
      influxdCpuUsPerReading: ((cpuReport.cores['influxd'] ?? 0) * cpuReport.wallSec * 1e6) / Math.max(1, written),
      cpu: cpuReport,
    };
  } finally {
    await influxd.stop();
    await tmp.remove();
  }
}
