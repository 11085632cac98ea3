/**
 * The simulator edge agent of docker-compose: registers a demo fleet of stations through the
 * platform's HTTP API (rotating the secret when a station already exists, since the platform
 * keeps only hashes), then publishes simulated readings for each over MQTT, QoS 1.
 *
 * Environment (all read here only):
 *   SHANSHUI_AGENT_MQTT_URL      mqtt://host:1883 of the platform. Required.
 *   SHANSHUI_AGENT_API_URL       http://host:8080 of the platform API. Required.
 *   SHANSHUI_AGENT_API_TOKEN     admin bearer token of the API (the platform's SHANSHUI_API_TOKEN). Required.
 *   SHANSHUI_AGENT_STATIONS      number of simulated stations. Default 24.
 *   SHANSHUI_AGENT_INTERVAL_SEC  seconds between readings of one station. Default 10.
 *   SHANSHUI_AGENT_LOG_LEVEL     pino level. Default info.
 */
import { pino } from 'pino';
import * as z from 'zod';
import type { StationInput } from '@shanshui/models';
import { demoFleetStation } from './sources/simulated/demo-fleet-station.ts';
import { startSimulatedFleet } from './sources/simulated/simulated-fleet.ts';
import type { SimulatedStation } from './sources/simulated/simulated-fleet.ts';

const EnvSchema = z.object({
  SHANSHUI_AGENT_MQTT_URL: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL'),
  SHANSHUI_AGENT_API_URL: z.url(),
  SHANSHUI_AGENT_API_TOKEN: z.string().min(16),
  SHANSHUI_AGENT_STATIONS: z.coerce.number().int().min(1).max(10_000).default(24),
  SHANSHUI_AGENT_INTERVAL_SEC: z.coerce.number().positive().default(10),
  SHANSHUI_AGENT_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

const simulatedStation = (i: number): StationInput => demoFleetStation(i, 'sim');

const parsed = EnvSchema.safeParse(process.env);
if (!parsed.success) {
  process.stderr.write(`shanshui simulator: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}\n`);
  process.exit(2);
}
const env = parsed.data;
const logger = pino({ level: env.SHANSHUI_AGENT_LOG_LEVEL, name: 'simulator' });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: { credentials?: { password?: string } } }> {
  const res = await fetch(`${env.SHANSHUI_AGENT_API_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.SHANSHUI_AGENT_API_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { credentials?: { password?: string } }) : {} };
}

/** Registers the station, or rotates its secret when it exists (a restarted agent has no plaintext). */
async function credentialsFor(input: StationInput): Promise<string> {
  const created = await api('POST', '/api/v1/stations', input);
  const res = created.status === 409 ? await api('POST', `/api/v1/stations/${encodeURIComponent(input.id)}/credentials`) : created;
  const password = res.body.credentials?.password;
  if (res.status !== 201 || !password) throw new Error(`station ${input.id}: API answered ${res.status}`);
  return password;
}

const stations: SimulatedStation[] = [];
for (let i = 0; i < env.SHANSHUI_AGENT_STATIONS; i++) {
  const input = simulatedStation(i);
  stations.push({ id: input.id, domain: input.domain, password: await credentialsFor(input) });
}
const fleet = await startSimulatedFleet({ url: env.SHANSHUI_AGENT_MQTT_URL, stations, intervalSec: env.SHANSHUI_AGENT_INTERVAL_SEC, logger });
logger.info({ stations: stations.length, mqtt: env.SHANSHUI_AGENT_MQTT_URL }, `simulator publishing every ${env.SHANSHUI_AGENT_INTERVAL_SEC} s`);
const progress = setInterval(() => logger.info({ acked: fleet.acked() }, 'readings acknowledged'), 60_000);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  await fleet.stop();
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {
  shutdown().catch((err: unknown) => {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  });
});
