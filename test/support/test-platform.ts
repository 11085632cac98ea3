/**
 * Test support: a real platform on free ports with a throwaway data folder, a real influxd of
 * its own, and helpers to register stations over the HTTP API and connect real MQTT clients.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient, IClientOptions } from 'mqtt';
import { createLogger, parseConfig, startPlatform, startManagedInfluxd } from '@shanshui/ingest';
import type { ConfigInput, ManagedInfluxd, Platform } from '@shanshui/ingest';
import type { StationInput } from '@shanshui/models';
import type { Logger } from 'pino';
import { tempDir } from './temp-dir.ts';
import { tlsRequest } from './tls-request.ts';
import type { ResponseJson } from './response-json.ts';
import { callJson, registerStation } from './http-api.ts';

export interface TestPlatform {
  readonly platform: Platform;
  readonly influxd: ManagedInfluxd;
  readonly dataDir: string;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: ResponseJson }>;
  register(station: Partial<StationInput> & { id: string }): Promise<{ username: string; password: string }>;
  connect(username: string, password: string, options?: IClientOptions): Promise<MqttClient>;
  query(q: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startInfluxd(): Promise<{ influxd: ManagedInfluxd; remove: () => Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const tmp = await tempDir('shanshui-influxd-');
    try {
      // No authentication: tests query it directly. The managed influxd's own tests cover auth.
      const influxd = await startManagedInfluxd({ dataDir: tmp.dir, httpPort: 0, auth: false });
      return {
        influxd,
        remove: async () => {
          await influxd.stop();
          await tmp.remove();
        },
      };
    } catch (err) {
      // The free port it picked was taken by another test process before influxd bound it: pick again.
      const log = await readFile(path.join(tmp.dir, 'influxd.log'), 'utf8').catch(() => '');
      await tmp.remove();
      if (attempt >= 3 || !log.includes('address already in use')) throw err;
    }
  }
}

export interface TestPlatformSupport {
  /** PEM CA the `api` helper verifies the platform with; with TLS configured it calls the HTTPS port. */
  readonly apiCa?: string | Buffer;
  /** The platform's logger (default: pino at TEST_LOG_LEVEL, silent). */
  readonly logger?: Logger;
}

export async function startTestPlatform(overrides: ConfigInput = {}, support: TestPlatformSupport = {}): Promise<TestPlatform> {
  const tmp = await tempDir();
  const { influxd, remove } = await startInfluxd();
  const config = parseConfig({
    dataDir: tmp.dir,
    host: '127.0.0.1',
    mqttPort: 0,
    httpPort: 0,
    influxUrl: influxd.url,
    logLevel: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    scryptCost: 1024,
    apiToken: 'test-admin-token-0123456789',
    // Test receivers listen on 127.0.0.1: allow-listed here, as an operator would an intranet centre.
    // The SSRF tests override this with [] (the production default).
    webhookAllowNetworks: ['127.0.0.0/8'],
    ...overrides,
  });
  const platform = await startPlatform(config, support.logger ?? createLogger(config.logLevel));
  const clients: MqttClient[] = [];
  const base = `http://127.0.0.1:${platform.httpPort}`;
  const api: TestPlatform['api'] = async (method, path, body, token = platform.apiToken) => {
    if (platform.httpsPort !== undefined) {
      // Once TLS is configured the API answers on HTTPS only (plain HTTP keeps the probes).
      const res = await tlsRequest(`https://127.0.0.1:${platform.httpsPort}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body, ...(support.apiCa ? { ca: support.apiCa } : {}) });
      return { status: res.status, body: res.body };
    }
    return callJson(base, token, method, path, body);
  };
  return {
    platform,
    influxd,
    dataDir: tmp.dir,
    api,
    register: async (station) => registerStation(api, station),
    async connect(username, password, options = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${platform.mqttPort}`, {
        clientId: username,
        username,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...options,
      });
      clients.push(client);
      return client;
    },
    async query(q) {
      const series = await platform.influx.query(q);
      return series.flatMap((s) => s.values.map((row) => Object.fromEntries(s.columns.map((c, i) => [c, row[i]]))));
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await platform.stop();
      await remove();
      await tmp.remove();
    },
  };
}

export { eventually, eventuallyEqual } from './eventually.ts';
