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
import { z } from 'zod';
import type { Domain, StationInput } from '@shanshui/models';
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

const DEPARTMENT_OF: Record<Domain, string> = { air: 'eco-env', water: 'eco-env', reservoir: 'water', forest_fire: 'forestry', soil: 'agri', agriculture: 'agri' };
const NAME_OF: Record<Domain, string> = { air: '空气站', water: '水质站', reservoir: '水库站', forest_fire: '森林防火监测点', soil: '墒情站', agriculture: '农业物联网地块' };
const DISTRICTS: Array<[string, string, number, number]> = [
  ['440103', '荔湾', 23.125, 113.244],
  ['440106', '天河', 23.125, 113.361],
  ['440111', '白云', 23.288, 113.273],
  ['440112', '黄埔', 23.181, 113.48],
  ['440113', '番禺', 22.938, 113.384],
  ['440114', '花都', 23.404, 113.22],
  ['440115', '南沙', 22.801, 113.525],
  ['440117', '从化', 23.548, 113.586],
  ['440118', '增城', 23.261, 113.81],
];
const DOMAIN_ORDER: Domain[] = ['air', 'water', 'reservoir', 'forest_fire', 'soil', 'agriculture'];

function simulatedStation(i: number): StationInput {
  const domain = DOMAIN_ORDER[i % DOMAIN_ORDER.length]!;
  const [region, district, lat, lon] = DISTRICTS[i % DISTRICTS.length]!;
  const jitter = (k: number): number => (((i * 7919 + k * 104729) % 1000) / 1000 - 0.5) * 0.08;
  return {
    id: `sim-${domain.replace('_', '-')}-${String(i).padStart(3, '0')}`,
    name: `${district}${NAME_OF[domain]}${Math.floor(i / DOMAIN_ORDER.length) + 1}号`,
    domain,
    lat: Number((lat + jitter(1)).toFixed(5)),
    lon: Number((lon + jitter(2)).toFixed(5)),
    region,
    department: DEPARTMENT_OF[domain],
    ...(domain === 'reservoir' ? { attributes: { floodLimitLevel: 103, designFloodLevel: 106.5, checkFloodLevel: 108.2 } } : {}),
    ...(domain === 'water' ? { attributes: { waterBody: 'river' } } : {}),
  };
}

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
