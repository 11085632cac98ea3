/**
 * GET /api/v1/status — the platform at a glance (平台运行状态): version and uptime; stations,
 * online stations and open alerts inside the caller's department scope; and the platform's own
 * health, the same for every caller (what /healthz and /metrics know): connected devices,
 * spool depth, InfluxDB reachable, webhook outbox pending and dead.
 */
import type { ManagedInfluxdStatus } from '../store/managed-influxd.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { z } from 'zod';
import { DOMAINS, WARNING_LEVELS } from '@shanshui/models';
import type { Domain, Station, WarningLevel } from '@shanshui/models';
import type { Alert } from '../alerts/alert.ts';
import { scopeFilter } from './request-auth.ts';

export interface StatusRouteOptions {
  readonly version: string;
  /** Epoch ms the platform started. */
  readonly startedAt: number;
  readonly stations: () => readonly Station[];
  /** Which of these stations are online (their presence, on any node). */
  readonly online: (stations: readonly Station[]) => Promise<ReadonlySet<string>>;
  readonly connectedDevices: () => number;
  readonly spool: () => { readonly records: number; readonly bytes: number };
  readonly spoolMaxBytes: number;
  /** Whether the last InfluxDB write (or the drain's start) succeeded. */
  readonly influxUp: () => boolean;
  /** The managed influxd's supervision state; undefined with an external InfluxDB. */
  readonly influxd?: () => ManagedInfluxdStatus | undefined;
  readonly outbox: () => Promise<{ readonly pending: number; readonly dead: number }>;
  readonly openAlerts: () => Promise<readonly Alert[]>;
  /** Dead letters kept, of the stations of `departments` (undefined = all). */
  readonly deadLetters: (departments?: readonly string[]) => Promise<number>;
  readonly now?: () => number;
}

const count = z.number().int().min(0);
export const StatusSchema = z
  .object({
    version: z.string(),
    startedAt: z.string(),
    uptimeSec: count,
    scope: z.union([z.literal('*'), z.array(z.string())]).describe("the departments the counts marked 'scoped' cover"),
    stations: z.object({ total: count, online: count, byDomain: z.record(z.enum(DOMAINS), count) }).strict().describe('scoped'),
    alerts: z.object({ open: count, byLevel: z.record(z.enum(WARNING_LEVELS), count) }).strict().describe('open (firing or acknowledged) alerts; scoped'),
    deadLetters: count.describe('dead letters kept; scoped'),
    devices: z.object({ connected: count }).strict().describe('MQTT connections to the platform, all departments'),
    spool: z.object({ records: count, bytes: count, maxBytes: count }).strict().describe('readings waiting for InfluxDB'),
    influx: z
      .object({
        reachable: z.boolean().describe('answered the last active ping'),
        managed: z
          .object({
            state: z.enum(['running', 'restarting', 'stopped']),
            pid: z.number().int().nullable(),
            restarts: count.describe('restarts after crashes since the platform started'),
            lastExit: z.object({ at: z.string(), code: z.number().int().nullable(), signal: z.string().nullable() }).strict().nullable(),
            logFile: z.string(),
          })
          .strict()
          .optional()
          .describe('the influxd the platform runs itself (absent with SHANSHUI_INFLUX_URL)'),
      })
      .strict(),
    webhooks: z.object({ pending: count, dead: count }).strict().describe('the webhook outbox, all subscriptions'),
  })
  .strict();

export const statusRoutes: ApiPlugin<StatusRouteOptions> = async (app, deps) => {
  const now = deps.now ?? Date.now;
  app.get('/api/v1/status', {
    config: { permission: 'stations:read' },
    schema: {
      tags: ['platform'],
      summary: 'Platform status: version, uptime, stations and open alerts in scope, devices connected, spool depth, InfluxDB reachable, webhook outbox',
      response: { 200: StatusSchema },
    },
  }, async (req) => {
    const departments = scopeFilter(req);
    const visible = (department: string): boolean => !departments || departments.includes(department);
    const stations = deps.stations().filter((s) => visible(s.department));
    const byDomain = Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<Domain, number>;
    const onlineIds = await deps.online(stations);
    let online = 0;
    for (const s of stations) {
      byDomain[s.domain]++;
      if (onlineIds.has(s.id)) online++;
    }
    const byLevel = Object.fromEntries(WARNING_LEVELS.map((l) => [l, 0])) as Record<WarningLevel, number>;
    let open = 0;
    for (const a of await deps.openAlerts()) {
      if (!visible(a.department)) continue;
      byLevel[a.level]++;
      open++;
    }
    const spool = deps.spool();
    const managedInfluxd = deps.influxd?.();
    const status: z.output<typeof StatusSchema> = {
      version: deps.version,
      startedAt: new Date(deps.startedAt).toISOString(),
      uptimeSec: Math.max(0, Math.floor((now() - deps.startedAt) / 1000)),
      scope: departments ? [...departments] : '*',
      stations: { total: stations.length, online, byDomain },
      alerts: { open, byLevel },
      deadLetters: await deps.deadLetters(departments),
      devices: { connected: deps.connectedDevices() },
      spool: { records: spool.records, bytes: spool.bytes, maxBytes: deps.spoolMaxBytes },
      influx: { reachable: deps.influxUp(), ...(managedInfluxd ? { managed: managedInfluxd } : {}) },
      webhooks: { ...(await deps.outbox()) },
    };
    return status;
  });
};
