/**
 * Platform configuration: one zod schema, every key documented with its default. Values come
 * from a JSON file (`SHANSHUI_CONFIG`) and environment variables (`SHANSHUI_*`, which win).
 * An invalid value stops the start with the key named.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isCipherList } from '@shanshui/broker';
import { IngestError } from './errors.ts';
import { isNetwork } from './webhooks/outbound-guard.ts';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
// fastify's trustProxy: true/false, or addresses/CIDRs (proxy-addr's names too).
const proxyAddress = z
  .string()
  .trim()
  .refine((s) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(s)) return true;
    const [ip = '', bits, ...more] = s.split('/');
    return isIP(ip) !== 0 && more.length === 0 && (bits === undefined || /^\d{1,3}$/.test(bits));
  }, 'an IP address, a CIDR range, loopback, linklocal or uniquelocal');
const trustProxy = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim();
    if (s === 'true' || s === 'false') return s === 'true';
    return s.split(',').map((a) => a.trim());
  },
  z.union([z.boolean(), z.array(proxyAddress).min(1)], { error: 'true, false, or comma-separated proxy addresses/CIDRs' }),
);

const networkList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((a) => a.trim()).filter((a) => a !== '') : v),
  z.array(z.string().refine(isNetwork, 'an IP address or CIDR range such as 10.20.0.0/16 or fd00::/8')),
);

export const ConfigSchema = z
  .object({
    /** Folder for the spool, state database and managed InfluxDB. Default `./.data`. */
    dataDir: z.string().min(1).default('./.data'),
    /** PostgreSQL for platform state (`postgres://user:password@host:5432/db`), shared by several platform nodes; unset = the SQLite file `{dataDir}/state.db`. */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    /** This platform node's name in a cluster (presence, webhook claims); unset = `local` with SQLite, else generated once into `{dataDir}/node-id`. */
    nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1–64 letters, digits, dot, dash or underscore').optional(),
    /** Log level (trace … fatal). Default `info`. */
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Log lines: `json` (one JSON object a line), `pretty` (human, pino-pretty) or `auto` (pretty when stdout is a terminal). Default `auto`. */
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
    /** Address the MQTT and HTTP listeners bind. Default `0.0.0.0`. */
    host: z.string().min(1).default('0.0.0.0'),
    /** MQTT over TCP. Default 1883; 0 picks a free port. */
    mqttPort: port.default(1883),
    /** The MQTT TCP port expects a PROXY protocol v1 line first (HAProxy `send-proxy`): lockouts and presence see the device's address, not the balancer's. Connections without it are closed, so only the balancer may reach the port. Default false. */
    mqttProxyProtocol: bool.default(false),
    /** MQTT over TLS, when `tlsCert` and `tlsKey` are set. Default 8883; 0 picks a free port. */
    mqttsPort: port.default(8883),
    /** The broker URL devices are told to use (station add, gateway provisioning), e.g. `mqtts://iot.example.cn:8883`: where they reach the platform from outside (NAT, load balancer). Unset = the host name the API was called by, with `mqttPort`. */
    publicMqttUrl: z.string().regex(/^(mqtts?|wss?):\/\/[^\s/]+/, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
    /** MQTT over WebSocket at `/mqtt`; unset = off. */
    wsPort: port.optional(),
    /** PEM certificate (chain) file for MQTT over TLS and HTTPS; with `tlsKey`, turns both on (MQTT over TLS only with the built-in broker; an external broker terminates its own). */
    tlsCert: z.string().optional(),
    /** PEM private key file for MQTT over TLS and HTTPS. */
    tlsKey: z.string().optional(),
    /** PEM CA bundle to verify device client certificates. */
    tlsCa: z.string().optional(),
    /** OpenSSL cipher list for MQTT over TLS and HTTPS (`TLS_*` entries are the TLS 1.3 suites). Default: the list under Transport security. */
    tlsCiphers: z.string().min(1).refine(isCipherList, 'a cipher list OpenSSL accepts').optional(),
    /** HTTP API port. Default 8080; 0 picks a free port. With TLS configured it serves only `/healthz` and `/metrics` (see `httpPlainApi`). */
    httpPort: port.default(8080),
    /** HTTPS API port, when `tlsCert` and `tlsKey` are set. Default 8443; 0 picks a free port. */
    httpsPort: port.default(8443),
    /** Serve the whole API on plain HTTP too when TLS is configured — only behind a TLS-terminating proxy or on a closed network. Default false. */
    httpPlainApi: bool.default(false),
    /** Reverse proxies whose X-Forwarded-For is believed (audit log, lockout, provisioning rate limit): `true` (any) or comma-separated addresses/CIDRs (`loopback` allowed). Default false. */
    trustProxy: trustProxy.default(false),
    /** Admin bearer token for the HTTP API; when unset one is generated into `{dataDir}/admin-token`. */
    apiToken: z.string().min(16, 'at least 16 characters').optional(),
    /** Bad credentials per API client address and per MQTT (device id, address), within `authFailureWindowMs`, that lock it out. Default 10. */
    authMaxFailures: z.coerce.number().int().min(1).default(10),
    /** Bad MQTT credentials per remote address that lock the address out (higher: devices share carrier NAT). Default 50. */
    authMaxFailuresPerAddress: z.coerce.number().int().min(1).default(50),
    /** Window in which bad credentials count, ms. Default 300000 (5 min). */
    authFailureWindowMs: z.coerce.number().int().min(1).default(300_000),
    /** How long a locked address or device id is refused, even with good credentials, ms. Default 900000 (15 min). */
    authLockoutMs: z.coerce.number().int().min(1).default(900_000),
    /** Delay of the answer to repeated bad credentials, ms (doubles per failure, up to 16×); 0 = none. Default 250. */
    authFailureDelayMs: z.coerce.number().int().min(0).default(250),
    /** InfluxDB base URL; unset = the platform runs its own local influxd. */
    influxUrl: z.url().optional(),
    /** Several write URLs of one v1-API time-series cluster (openGemini ts-sql nodes, InfluxDB Enterprise data nodes), comma-separated: batches go round-robin and skip a target that fails. Queries use `influxUrl` (default: the first of these). Unset = `influxUrl` only. */
    influxUrls: z
      .preprocess((v) => (typeof v === 'string' ? v.split(',').map((u) => u.trim()).filter((u) => u !== '') : v), z.array(z.url()).min(1))
      .optional(),
    /** InfluxDB database (1.x) or bucket mapped through DBRP (2.x/3.x). Default `shanshui`. */
    influxDatabase: z.string().regex(/^[A-Za-z0-9_-]+$/).default('shanshui'),
    /** InfluxDB 1.x user name. */
    influxUsername: z.string().optional(),
    /** InfluxDB 1.x password. */
    influxPassword: z.string().optional(),
    /** InfluxDB 2.x/3.x token. */
    influxToken: z.string().optional(),
    /** Port of the managed local influxd. Default 8086; 0 picks a free port. */
    influxManagedPort: port.default(8086),
    /** Install Debian's influxdb with apt when influxd is missing and running as root. Default true. */
    influxInstall: bool.default(true),
    /** Spool bound in bytes; past it publishes are refused. Default 1 GiB. */
    spoolMaxBytes: z.coerce.number().int().min(4096).default(1024 ** 3),
    /** Worker threads that decode, validate and format readings (per-station order and the durable PUBACK kept): a number, 0 = on the main thread, or `auto` = the usable cores less one, at most 4 (1 on two cores, 0 on one). Default 0. */
    acceptWorkers: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]).default(0),
    /** How far ahead of the platform clock a device timestamp may be, ms. Default 300000 (5 min). */
    maxFutureSkewMs: z.coerce.number().int().min(0).default(300_000),
    /** How old a device timestamp may be, ms. Default 31536000000 (365 days). */
    maxAgeMs: z.coerce.number().int().min(0).default(365 * 86_400_000),
    /** Largest MQTT packet, bytes. Default 262144. */
    maxPacketBytes: z.coerce.number().int().min(1024).default(256 * 1024),
    /** Sustained messages per second per device. Default 50. */
    maxMessagesPerSec: z.coerce.number().positive().default(50),
    /** Message burst per device. Default 500. */
    maxMessagesBurst: z.coerce.number().int().positive().default(500),
    /** Most concurrent MQTT connections. Default 100000. */
    maxConnections: z.coerce.number().int().positive().default(100_000),
    /** Server key of the keyed hashes of generated device secrets: base64/base64url or hex of ≥ 32 bytes, the same on every node; unset = `{dataDir}/secret-key` (0600, created on first start). Never in the database. */
    secretKey: z.string().min(43, 'at least 32 bytes (43 base64 characters or 64 hex digits)').optional(),
    /** scrypt cost N for device secrets a person chose, and for verifying pre-keyed-hash stations once. Default 16384. */
    scryptCost: z.coerce.number().int().refine((n) => n >= 1024 && (n & (n - 1)) === 0, 'a power of two ≥ 1024').default(16384),
    /** Redis shared by the nodes of a cluster (`redis://[:password@]host:6379[/db]`, `rediss://` for TLS): MQTT sessions, downlinks, retained config, takeovers, wills, lockouts and rate limits; unset = one node on its own. */
    redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
    /** External MQTT broker (Mosquitto, EMQX) to subscribe to instead of running the embedded one; unset = embedded aedes. */
    externalBrokerUrl: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
    /** User name of the ingest client at the external broker. */
    externalBrokerUsername: z.string().optional(),
    /** Password of the ingest client at the external broker. */
    externalBrokerPassword: z.string().optional(),
    /** Client id (persistent session) at the external broker. Default `shanshui-ingest`. */
    externalBrokerClientId: z.string().min(1).default('shanshui-ingest'),
    /** Topic filter at the external broker; `$share/ingest/shanshui/v1/+/up/+` for EMQX shared subscriptions. Default `shanshui/v1/+/up/+`. */
    externalBrokerSubscription: z.string().min(1).default('shanshui/v1/+/up/+'),
    /** Demo fleet: simulated stations publishing live (0 = off). Default 0 (`npm run demo` sets 24). */
    demoStations: z.coerce.number().int().min(0).max(10_000).default(0),
    /** Seconds between demo readings per station. Default 10. */
    demoIntervalSec: z.coerce.number().positive().default(10),
    /** Seed the default warning rules into a new state database. Default true. */
    defaultRules: bool.default(true),
    /** With PostgreSQL: how often a follower node tries for the leadership of the cross-station rules (stale, corroboration), and the leader checks its lock, ms — a new leader takes over within about this long after the old one's connection dies. Default 1000. */
    leaderRetryMs: z.coerce.number().int().min(50).default(1000),
    /** How often stale/offline rules are checked, ms. Default 10000. */
    staleCheckIntervalMs: z.coerce.number().int().min(10).default(10_000),
    /** How often rules and webhook subscriptions are read again from the store (changes made through other nodes), ms. Default 5000. */
    storeReloadMs: z.coerce.number().int().min(10).default(5000),
    /** Time allowed for one webhook request, ms. Default 5000. */
    webhookTimeoutMs: z.coerce.number().int().min(10).default(5000),
    /** Webhook attempts before a delivery is dead-lettered. Default 15. */
    webhookMaxAttempts: z.coerce.number().int().min(1).max(100).default(15),
    /** Webhook backoff after the first failure, ms (doubles per attempt, with jitter). Default 1000. */
    webhookBackoffBaseMs: z.coerce.number().int().min(1).default(1000),
    /** Longest webhook backoff, ms. Default 600000. */
    webhookBackoffMaxMs: z.coerce.number().int().min(1).default(600_000),
    /** Networks webhooks may reach although loopback/private/link-local/unique-local (comma-separated CIDRs, e.g. an emergency centre on 政务外网). Default none. */
    webhookAllowNetworks: networkList.default([]),
    /** Web app sessions end this long after their last use, ms. Default 3600000 (1 h). */
    sessionIdleMs: z.coerce.number().int().min(1000).default(3_600_000),
    /** Web app sessions end this long after sign-in whatever their use, ms. Default 43200000 (12 h). */
    sessionTtlMs: z.coerce.number().int().min(1000).default(43_200_000),
    /** Basemap of the web app: `none` (bundled administrative boundaries only, works offline), `tianditu` (天地图, needs `tiandituKey`) or `xyz` (`mapTileUrl`). Default none. */
    mapBasemap: z.enum(['none', 'tianditu', 'xyz']).default('none'),
    /** XYZ tile URL template for `mapBasemap=xyz`, e.g. `https://tiles.example.gov.cn/{z}/{x}/{y}.png` (an intranet tile server). */
    mapTileUrl: z.string().optional(),
    /** Attribution shown for the XYZ tiles. Default empty. */
    mapTileAttribution: z.string().max(200).default(''),
    /** The deployment's 天地图 key (`tk`) for `mapBasemap=tianditu`. */
    tiandituKey: z.string().regex(/^[A-Za-z0-9]{8,64}$/, 'a 天地图 key (letters and digits)').optional(),
    /** Tile hosts allowed although they are loopback, private or link-local (an intranet tile server), comma-separated host names or IPs. Default none. */
    mapTileAllowHosts: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter(Boolean) : v), z.array(z.string().min(1))).default([]),
    /** A station without a reading for this long is drawn grey (offline), ms. Default 1800000 (30 min). */
    mapOfflineAfterMs: z.coerce.number().int().min(1000).default(1_800_000),
  })
  .strict();

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variable of each key: `mqttPort` ↔ `SHANSHUI_MQTT_PORT`. */
export function envNameOf(key: string): string {
  return `SHANSHUI_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

export function parseConfig(input: Record<string, unknown>, origin: (key: string) => string = (k) => k): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((i) => {
      const key = String(i.path[0] ?? '');
      return i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : `${origin(key)}: ${i.message}`;
    })
    .join('; ');
  throw new IngestError('INGEST_ERR_CONFIG', details);
}

/** Reads `SHANSHUI_CONFIG` (a JSON file) and `SHANSHUI_*` variables; the environment wins. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const input: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  const file = env['SHANSHUI_CONFIG'];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new IngestError('INGEST_ERR_CONFIG', `SHANSHUI_CONFIG ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new IngestError('INGEST_ERR_CONFIG', `SHANSHUI_CONFIG ${file}: not a JSON object`);
    for (const [k, v] of Object.entries(parsed)) {
      input[k] = v;
      from[k] = `${file}: ${k}`;
    }
  }
  const known = new Set(Object.keys(ConfigSchema.shape));
  for (const key of known) {
    const v = env[envNameOf(key)];
    if (v !== undefined && v !== '') {
      input[key] = v;
      from[key] = envNameOf(key);
    }
  }
  // Other programs' variables (CLI, edge agent) may share the shell.
  const foreign = /^SHANSHUI_(CLI|AGENT)_/;
  const stray = Object.keys(env).filter(
    (k) => k.startsWith('SHANSHUI_') && k !== 'SHANSHUI_CONFIG' && !foreign.test(k) && ![...known].some((key) => envNameOf(key) === k),
  );
  if (stray.length > 0) throw new IngestError('INGEST_ERR_CONFIG', `unknown variable(s) ${stray.join(', ')}`);
  return parseConfig(input, (k) => from[k] ?? k);
}
