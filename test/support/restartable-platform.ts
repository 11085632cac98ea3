/**
 * Test support for the edge agent: an in-process platform on FIXED free ports and a fixed data
 * folder, with its own influxd, that a test can stop (the agent's broker goes away) and start
 * again — a new platform on the same data folder and ports, as after a restart. Also records
 * every accepted readings message (the platform's 'readings' event) across runs, so a test can
 * check arrival order.
 */
import path from 'node:path';
import { createLogger, freePort, parseConfig, startPlatform } from '@shanshui/ingest';
import type { AcceptedReadingsEvent, ConfigInput, Platform } from '@shanshui/ingest';
import type { StationInput } from '@shanshui/models';
import { startInfluxd } from './test-platform.ts';
import { tempDir } from './temp-dir.ts';
import { httpApi } from './http-api.ts';
import type { HttpApi } from './http-api.ts';

export const AGENT_TEST_API_TOKEN = 'agent-test-admin-token-0123456789';

export interface RestartablePlatform {
  readonly dataDir: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly httpUrl: string;
  readonly api: HttpApi;
  /** Every readings message accepted, across runs, in acceptance order. */
  readonly accepted: AcceptedReadingsEvent[];
  readonly running: boolean;
  start(): Promise<Platform>;
  stop(): Promise<void>;
  query(q: string): Promise<Array<Record<string, unknown>>>;
  /** Registers a station, creates a bootstrap token for it; returns the token. */
  bootstrapToken(station: Partial<StationInput> & { id: string }, ttlSec?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startRestartablePlatform(overrides: ConfigInput = {}): Promise<RestartablePlatform> {
  const tmp = await tempDir('shanshui-agent-e2e-');
  const influx = await startInfluxd();
  const mqttPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === mqttPort) httpPort = await freePort();
  const config = parseConfig({
    dataDir: path.join(tmp.dir, 'platform'),
    host: '127.0.0.1',
    mqttPort,
    httpPort,
    influxUrl: influx.influxd.url,
    logLevel: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    scryptCost: 1024,
    apiToken: AGENT_TEST_API_TOKEN,
    ...overrides,
  });
  const accepted: AcceptedReadingsEvent[] = [];
  let platform: Platform | undefined;
  let last: Platform | undefined;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const api = httpApi(httpUrl, AGENT_TEST_API_TOKEN);
  const self: RestartablePlatform = {
    dataDir: config.dataDir,
    mqttPort,
    httpPort,
    httpUrl,
    api,
    accepted,
    get running() {
      return platform !== undefined;
    },
    async start() {
      if (platform) return platform;
      platform = await startPlatform(config, createLogger(config.logLevel));
      platform.events.on('readingsDurable', (e: AcceptedReadingsEvent) => accepted.push(e));
      last = platform;
      return platform;
    },
    async stop() {
      const p = platform;
      platform = undefined;
      await p?.stop();
    },
    async query(q) {
      const p = platform ?? last;
      if (!p) throw new Error('platform never started');
      const series = await p.influx.query(q);
      return series.flatMap((s) => s.values.map((row) => Object.fromEntries(s.columns.map((c, i) => [c, row[i]]))));
    },
    async bootstrapToken(station, ttlSec) {
      await api.register(station);
      const res = await api.call('POST', `/api/v1/stations/${station.id}/bootstrap-tokens`, ttlSec === undefined ? {} : { ttlSec });
      if (res.status !== 201) throw new Error(`bootstrap token for ${station.id}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async close() {
      await self.stop().catch(() => undefined);
      await influx.remove();
      await tmp.remove();
    },
  };
  await self.start();
  return self;
}
