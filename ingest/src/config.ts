/**
 * Platform configuration, nested per component: `config.listeners`, `config.influx`,
 * `config.broker` (the broker's own options schema), `config.warnings` (rules, alerts and the
 * webhook `delivery` block, in the warnings' own schema)… Each section is handed to its component
 * whole. Operators name settings flat (`CONFIG_KEYS`): a JSON file (`SHANSHUI_CONFIG`) and
 * environment variables (`SHANSHUI_*`, which win). An invalid value stops the start with the
 * variable or file key named. A default lives once: in this schema, or in the component's.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { BrokerOptionsSchema, isCipherList } from '@shanshui/broker';
import { IngestError } from './errors.ts';
import { isNetwork } from './webhooks/outbound-guard.ts';
import { WarningsOptionsSchema } from './alerts/start-warnings.ts';
import { USER_STORE_DEFAULTS } from './auth/user-store.ts';
import { DEFAULT_SCRYPT_COST } from './state/device-secret.ts';

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
    /** Admin bearer token for the HTTP API; when unset one is generated into `{dataDir}/admin-token`. */
    apiToken: z.string().min(16, 'at least 16 characters').optional(),
    /** Server key of the keyed hashes of generated device secrets: base64/base64url or hex of ≥ 32 bytes, the same on every node; unset = `{dataDir}/secret-key` (0600, created on first start). Never in the database. */
    secretKey: z.string().min(43, 'at least 32 bytes (43 base64 characters or 64 hex digits)').optional(),
    /** scrypt cost N for device secrets a person chose, and for verifying pre-keyed-hash stations once. Default 16384. */
    scryptCost: z.coerce.number().int().refine((n) => n >= 1024 && (n & (n - 1)) === 0, 'a power of two ≥ 1024').default(DEFAULT_SCRYPT_COST),
    /** Redis shared by the nodes of a cluster (`redis://[:password@]host:6379[/db]`, `rediss://` for TLS): MQTT sessions, downlinks, retained config, takeovers, wills, lockouts and rate limits; unset = one node on its own. */
    redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
    /** With PostgreSQL: how often a follower node tries for the leadership of the cross-station rules (stale, corroboration), and the leader checks its lock, ms — a new leader takes over within about this long after the old one's connection dies. Default 1000. */
    leaderRetryMs: z.coerce.number().int().min(50).default(1000),
    /** With PostgreSQL: how often each node records in the store that it is alive, ms. Default 5000. */
    nodeHeartbeatMs: z.coerce.number().int().min(50).default(5000),
    /** With PostgreSQL: a node silent this long is dead; the leader marks the devices it held offline unless they reconnected elsewhere, ms. Default 30000. */
    nodeDeadAfterMs: z.coerce.number().int().min(100).default(30_000),
    /** Where the platform listens: MQTT (TCP, TLS, WebSocket) and HTTP(S). */
    listeners: z
      .object({
        /** Address the MQTT and HTTP listeners bind. Default `0.0.0.0`. */
        host: z.string().min(1).default('0.0.0.0'),
        /** MQTT over TCP. Default 1883; 0 picks a free port. */
        mqttPort: port.default(1883),
        /** The MQTT TCP port expects a PROXY protocol v1 line first (HAProxy `send-proxy`): lockouts and presence see the device's address, not the balancer's. Connections without it are closed, so only the balancer may reach the port. Default false. */
        mqttProxyProtocol: bool.default(false),
        /** MQTT over TLS, when `tlsCert` and `tlsKey` are set. Default 8883; 0 picks a free port. */
        mqttsPort: port.default(8883),
        /** MQTT over WebSocket at `/mqtt`; unset = off. */
        wsPort: port.optional(),
        /** The broker URL devices are told to use (station add, gateway provisioning), e.g. `mqtts://iot.example.cn:8883`: where they reach the platform from outside (NAT, load balancer). Unset = the host name the API was called by, with `mqttPort`. */
        publicMqttUrl: z.string().regex(/^(mqtts?|wss?):\/\/[^\s/]+/, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
        /** HTTP API port. Default 8080; 0 picks a free port. With TLS configured it serves only `/livez`, `/readyz`, `/healthz` and `/metrics` (see `httpPlainApi`). */
        httpPort: port.default(8080),
        /** HTTPS API port, when `tlsCert` and `tlsKey` are set. Default 8443; 0 picks a free port. */
        httpsPort: port.default(8443),
        /** Serve the whole API on plain HTTP too when TLS is configured — only behind a TLS-terminating proxy or on a closed network. Default false. */
        plainApi: bool.default(false),
        /** Reverse proxies whose X-Forwarded-For is believed (audit log, lockout, provisioning rate limit): `true` (any) or comma-separated addresses/CIDRs (`loopback` allowed). Default false. */
        trustProxy: trustProxy.default(false),
      })
      .strict()
      .prefault({}),
    /** Certificate files and ciphers of MQTT over TLS and HTTPS. */
    tls: z
      .object({
        /** PEM certificate (chain) file for MQTT over TLS and HTTPS; with `tlsKey`, turns both on (MQTT over TLS only with the built-in broker; an external broker terminates its own). */
        cert: z.string().optional(),
        /** PEM private key file for MQTT over TLS and HTTPS. */
        key: z.string().optional(),
        /** PEM CA bundle to verify device client certificates. */
        ca: z.string().optional(),
        /** OpenSSL cipher list for MQTT over TLS and HTTPS (`TLS_*` entries are the TLS 1.3 suites). Default: the list under Transport security. */
        ciphers: z.string().min(1).refine(isCipherList, 'a cipher list OpenSSL accepts').optional(),
      })
      .strict()
      .prefault({}),
    /** The embedded broker's limits and lockouts (the API's lockout takes the same `auth*` values); defaults in the broker's BrokerOptionsSchema. */
    broker: BrokerOptionsSchema.strict().prefault({}),
    /** InfluxDB: an external one, or the managed local influxd. */
    influx: z
      .object({
        /** InfluxDB base URL; unset = the platform runs its own local influxd. */
        url: z.url().optional(),
        /** Several write URLs of one v1-API time-series cluster (openGemini ts-sql nodes, InfluxDB Enterprise data nodes), comma-separated: batches go round-robin and skip a target that fails. Queries use `influxUrl` (default: the first of these). Unset = `influxUrl` only. */
        urls: z
          .preprocess((v) => (typeof v === 'string' ? v.split(',').map((u) => u.trim()).filter((u) => u !== '') : v), z.array(z.url()).min(1))
          .optional(),
        /** InfluxDB database (1.x) or bucket mapped through DBRP (2.x/3.x). Default `shanshui`. */
        database: z.string().regex(/^[A-Za-z0-9_-]+$/).default('shanshui'),
        /** InfluxDB 1.x user name. */
        username: z.string().optional(),
        /** InfluxDB 1.x password. */
        password: z.string().optional(),
        /** InfluxDB 2.x/3.x token. */
        token: z.string().optional(),
        /** Port of the managed local influxd. Default 8086; 0 picks a free port. */
        managedPort: port.default(8086),
        /** CPU niceness of the managed local influxd (0–19): under contention the broker and the warnings go first, readings wait in the spool. Default 5. */
        managedNice: z.coerce.number().int().min(0).max(19).default(5),
        /** Install Debian's influxdb with apt when influxd is missing and running as root. Default true. */
        install: bool.default(true),
        /** Concurrent writes each drain batch is split into, by station (a station's readings stay in order). Default 2. */
        writeLanes: z.coerce.number().int().min(1).max(16).default(2),
      })
      .strict()
      .prefault({}),
    /** The durable spool in front of InfluxDB. */
    spool: z
      .object({
        /** Spool bound in bytes; past it publishes are refused. Default 1 GiB. */
        maxBytes: z.coerce.number().int().min(4096).default(1024 ** 3),
      })
      .strict()
      .prefault({}),
    /** What the accept step takes as a plausible device timestamp. */
    accept: z
      .object({
        /** How far ahead of the platform clock a device timestamp may be, ms. Default 300000 (5 min). */
        maxFutureSkewMs: z.coerce.number().int().min(0).default(300_000),
        /** How old a device timestamp may be, ms. Default 31536000000 (365 days). */
        maxAgeMs: z.coerce.number().int().min(0).default(365 * 86_400_000),
        /** Worker threads that decode, validate and format readings (per-station order and the durable PUBACK kept): a number, 0 = on the main thread, or `auto` = on three or more usable cores the cores less one, at most 4; on one or two cores 0. Default `auto`. */
        workers: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]).default('auto'),
      })
      .strict()
      .prefault({}),
    /** An external MQTT broker to subscribe to instead of the embedded one. */
    externalBroker: z
      .object({
        /** External MQTT broker (Mosquitto, EMQX) to subscribe to instead of running the embedded one; unset = embedded aedes. */
        url: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
        /** User name of the ingest client at the external broker. */
        username: z.string().optional(),
        /** Password of the ingest client at the external broker. */
        password: z.string().optional(),
        /** Client id (persistent session) at the external broker. Default `shanshui-ingest`. */
        clientId: z.string().min(1).default('shanshui-ingest'),
        /** Topic filter at the external broker; `$share/ingest/shanshui/v1/+/up/+` for EMQX shared subscriptions. Default `shanshui/v1/+/up/+`. */
        subscription: z.string().min(1).default('shanshui/v1/+/up/+'),
      })
      .strict()
      .prefault({}),
    /** Rules, alerts and webhook delivery (the `delivery` block); defaults in WarningsOptionsSchema and DeliveryWorkerOptionsSchema. */
    warnings: WarningsOptionsSchema.omit({ outbound: true }).prefault({}),
    /** Where webhooks may connect. */
    outbound: z
      .object({
        /** Networks webhooks may reach although loopback/private/link-local/unique-local (comma-separated CIDRs, e.g. an emergency centre on 政务外网). Default none. */
        allowNetworks: networkList.default([]),
      })
      .strict()
      .prefault({}),
    /** Web app sessions. */
    sessions: z
      .object({
        /** Web app sessions end this long after their last use, ms. Default 3600000 (1 h). */
        idleMs: z.coerce.number().int().min(1000).default(USER_STORE_DEFAULTS.idleMs),
        /** Web app sessions end this long after sign-in whatever their use, ms. Default 43200000 (12 h). */
        ttlMs: z.coerce.number().int().min(1000).default(USER_STORE_DEFAULTS.ttlMs),
      })
      .strict()
      .prefault({}),
    /** The web app map (一张图). */
    map: z
      .object({
        /** Basemap of the web app: `none` (bundled administrative boundaries only, works offline), `tianditu` (天地图, needs `tiandituKey`) or `xyz` (`mapTileUrl`). Default none. */
        basemap: z.enum(['none', 'tianditu', 'xyz']).default('none'),
        /** XYZ tile URL template for `mapBasemap=xyz`, e.g. `https://tiles.example.gov.cn/{z}/{x}/{y}.png` (an intranet tile server). */
        tileUrl: z.string().optional(),
        /** Attribution shown for the XYZ tiles. Default empty. */
        tileAttribution: z.string().max(200).default(''),
        /** The deployment's 天地图 key (`tk`) for `mapBasemap=tianditu`. */
        tiandituKey: z.string().regex(/^[A-Za-z0-9]{8,64}$/, 'a 天地图 key (letters and digits)').optional(),
        /** Tile hosts allowed although their address is in a blocked range (loopback, private, link-local, shared, multicast, reserved: an intranet tile server), comma-separated host names or IPs. Default none. */
        tileAllowHosts: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter(Boolean) : v), z.array(z.string().min(1))).default([]),
        /** A station without a reading for this long is drawn grey (offline), ms. Default 1800000 (30 min). */
        offlineAfterMs: z.coerce.number().int().min(1000).default(1_800_000),
      })
      .strict()
      .prefault({}),
    /** The demo fleet (`npm run demo`). */
    demo: z
      .object({
        /** Demo fleet: simulated stations publishing live (0 = off). Default 0 (`npm run demo` sets 24). */
        stations: z.coerce.number().int().min(0).max(10_000).default(0),
        /** Seconds between demo readings per station. Default 10. */
        intervalSec: z.coerce.number().positive().default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * Every setting by its flat name (the JSON file's key; `envNameOf` gives its variable) and where it
 * lives in the nested config. A setting of a component that validates its own options (broker,
 * warnings, delivery) has its default there, not here.
 */
export const CONFIG_KEYS = {
  dataDir: 'dataDir',
  databaseUrl: 'databaseUrl',
  nodeId: 'nodeId',
  logLevel: 'logLevel',
  logFormat: 'logFormat',
  host: 'listeners.host',
  mqttPort: 'listeners.mqttPort',
  mqttProxyProtocol: 'listeners.mqttProxyProtocol',
  mqttsPort: 'listeners.mqttsPort',
  publicMqttUrl: 'listeners.publicMqttUrl',
  wsPort: 'listeners.wsPort',
  tlsCert: 'tls.cert',
  tlsKey: 'tls.key',
  tlsCa: 'tls.ca',
  tlsCiphers: 'tls.ciphers',
  httpPort: 'listeners.httpPort',
  httpsPort: 'listeners.httpsPort',
  httpPlainApi: 'listeners.plainApi',
  trustProxy: 'listeners.trustProxy',
  apiToken: 'apiToken',
  authMaxFailures: 'broker.authMaxFailures',
  authMaxFailuresPerAddress: 'broker.authMaxFailuresPerAddress',
  authFailureWindowMs: 'broker.authFailureWindowMs',
  authLockoutMs: 'broker.authLockoutMs',
  authFailureDelayMs: 'broker.authFailureDelayMs',
  influxUrl: 'influx.url',
  influxUrls: 'influx.urls',
  influxDatabase: 'influx.database',
  influxUsername: 'influx.username',
  influxPassword: 'influx.password',
  influxToken: 'influx.token',
  influxManagedPort: 'influx.managedPort',
  influxManagedNice: 'influx.managedNice',
  influxInstall: 'influx.install',
  influxWriteLanes: 'influx.writeLanes',
  spoolMaxBytes: 'spool.maxBytes',
  maxFutureSkewMs: 'accept.maxFutureSkewMs',
  maxAgeMs: 'accept.maxAgeMs',
  acceptWorkers: 'accept.workers',
  maxPacketBytes: 'broker.maxPacketBytes',
  maxMessagesPerSec: 'broker.maxMessagesPerSec',
  maxMessagesBurst: 'broker.maxMessagesBurst',
  maxConnections: 'broker.maxConnections',
  secretKey: 'secretKey',
  scryptCost: 'scryptCost',
  redisUrl: 'redisUrl',
  externalBrokerUrl: 'externalBroker.url',
  externalBrokerUsername: 'externalBroker.username',
  externalBrokerPassword: 'externalBroker.password',
  externalBrokerClientId: 'externalBroker.clientId',
  externalBrokerSubscription: 'externalBroker.subscription',
  demoStations: 'demo.stations',
  demoIntervalSec: 'demo.intervalSec',
  defaultRules: 'warnings.seedDefaultRules',
  leaderRetryMs: 'leaderRetryMs',
  nodeHeartbeatMs: 'nodeHeartbeatMs',
  nodeDeadAfterMs: 'nodeDeadAfterMs',
  staleCheckIntervalMs: 'warnings.staleCheckIntervalMs',
  storeReloadMs: 'warnings.reloadMs',
  webhookTimeoutMs: 'warnings.delivery.timeoutMs',
  webhookMaxAttempts: 'warnings.delivery.maxAttempts',
  webhookBackoffBaseMs: 'warnings.delivery.backoffBaseMs',
  webhookBackoffMaxMs: 'warnings.delivery.backoffMaxMs',
  webhookAllowNetworks: 'outbound.allowNetworks',
  sessionIdleMs: 'sessions.idleMs',
  sessionTtlMs: 'sessions.ttlMs',
  mapBasemap: 'map.basemap',
  mapTileUrl: 'map.tileUrl',
  mapTileAttribution: 'map.tileAttribution',
  tiandituKey: 'map.tiandituKey',
  mapTileAllowHosts: 'map.tileAllowHosts',
  mapOfflineAfterMs: 'map.offlineAfterMs',
} as const;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export type Config = z.output<typeof ConfigSchema>;
/** Settings by flat name, as a JSON file or a test gives them (strings as from the environment are read too). */
export type ConfigInput = { readonly [K in ConfigKey]?: unknown };

/** Environment variable of each key: `mqttPort` ↔ `SHANSHUI_MQTT_PORT`. */
export function envNameOf(key: string): string {
  return `SHANSHUI_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

const FLAT_KEY_AT = new Map<string, ConfigKey>(Object.entries(CONFIG_KEYS).map(([flat, at]) => [at, flat as ConfigKey]));

/** The schema at a dotted path of the nested config, unwrapped to its base type (`number`, `boolean`, `union`…). */
function leafType(at: string): string | undefined {
  let schema: z.ZodType | undefined = ConfigSchema;
  for (const part of at.split('.')) {
    schema = unwrap(schema);
    schema = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>)[part] : undefined;
    if (!schema) return undefined;
  }
  return unwrap(schema)?.def.type;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (s && (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional)) s = s.def.innerType as z.ZodType;
  return s;
}

/** A string from the environment for a number or boolean option the component's own schema takes unconverted. */
function fromText(at: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const type = leafType(at);
  const s = value.trim();
  if (type === 'number' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s);
  if (type === 'boolean' && ['true', 'false', '1', '0'].includes(s)) return s === 'true' || s === '1';
  return value;
}

/** Validates settings given by flat name into the nested config, every component's defaults filled in. */
export function parseConfig(input: ConfigInput | Record<string, unknown>, origin: (key: string) => string = (k) => k): Config {
  const nested: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const at = (CONFIG_KEYS as Record<string, string>)[key];
    if (at === undefined) {
      unknown.push(key);
      continue;
    }
    const path = at.split('.');
    let node = nested;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = fromText(at, value);
  }
  if (unknown.length > 0) throw new IngestError('INGEST_ERR_CONFIG', `unknown key(s) ${unknown.join(', ')}`);
  const result = ConfigSchema.safeParse(nested);
  if (result.success) return result.data;
  const details = result.error.issues
    .map((i) => {
      // The setting the issue is in (a list's entry `outbound.allowNetworks.1` is in `webhookAllowNetworks`).
      const path = i.path.map(String);
      let key: ConfigKey | undefined;
      for (let n = path.length; n > 0 && !key; n--) key = FLAT_KEY_AT.get(path.slice(0, n).join('.'));
      return `${key ? origin(key) : path.join('.')}: ${i.message}`;
    })
    .join('; ');
  throw new IngestError('INGEST_ERR_CONFIG', details);
}

/** Reads `SHANSHUI_CONFIG` (a JSON file of flat keys) and `SHANSHUI_*` variables; the environment wins. */
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
  const known = Object.keys(CONFIG_KEYS);
  for (const key of known) {
    const v = env[envNameOf(key)];
    if (v !== undefined && v !== '') {
      input[key] = v;
      from[key] = envNameOf(key);
    }
  }
  // Other programs' variables (CLI, edge agent) may share the shell.
  const foreign = /^SHANSHUI_(CLI|AGENT)_/;
  const stray = Object.keys(env).filter((k) => k.startsWith('SHANSHUI_') && k !== 'SHANSHUI_CONFIG' && !foreign.test(k) && !known.some((key) => envNameOf(key) === k));
  if (stray.length > 0) throw new IngestError('INGEST_ERR_CONFIG', `unknown variable(s) ${stray.join(', ')}`);
  return parseConfig(input, (k) => from[k] ?? k);
}
