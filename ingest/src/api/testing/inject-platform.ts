/**
 * For route tests: the whole platform built by createPlatform() — real SQLite store in a temp
 * folder, real registry, rules and outbox — with no socket open; requests go through fastify's
 * `inject()`. InfluxDB is pointed at a closed port: routes that read it answer 503, the rest
 * need nothing running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createPlatform } from '../../platform.ts';
import type { BuiltPlatform } from '../../platform.ts';
import { parseConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface InjectPlatform {
  readonly built: BuiltPlatform;
  /** A request as the bootstrap admin (or with `token`); a JSON body is sent as JSON. */
  call(method: InjectOptions['method'], url: string, body?: unknown, token?: string): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

export async function injectPlatform(overrides: Record<string, unknown> = {}): Promise<InjectPlatform> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shanshui-inject-'));
  const config = parseConfig({
    dataDir: dir,
    host: '127.0.0.1',
    mqttPort: 0,
    httpPort: 0,
    influxUrl: 'http://127.0.0.1:9',
    logLevel: 'silent',
    scryptCost: 1024,
    apiToken: ADMIN_TOKEN,
    defaultRules: false,
    ...overrides,
  });
  const built = await createPlatform(config, createLogger(config.logLevel));
  return {
    built,
    call: (method, url, body, token = ADMIN_TOKEN) =>
      built.api.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) }),
    async stop() {
      await built.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
